//! A session's replay window: several processes of one client share a stored refresh token,
//! and one that is behind presents a token another already rotated. Within the window it gets
//! the session's current pair (nothing new minted); after it, the presentation is reuse.

mod support;

use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::session::{SessionRecord, MAX_SUPERSEDED};
use edge_jwt_core::{Clock as _, Error, NewSession, Presentation, RevokedBy, Rotated, TokenPair};
use support::*;

const WINDOW: u64 = 1800;
const KEY_A: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const KEY_B: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

fn session(window: u64, dpop_jkt: Option<&str>) -> NewSession {
    NewSession {
        sub: "alice".into(),
        client_id: "claude-code".into(),
        dpop_jkt: dpop_jkt.map(str::to_owned),
        replay_window: window,
        ..NewSession::default()
    }
}

fn refresh_as(w: &World, pair: &TokenPair, presented: &Presentation) -> Result<Rotated, Error> {
    let claims = w
        .issuer
        .verify_refresh(&pair.refresh_token, w.clock.now())
        .unwrap();
    block_on(
        w.sessions()
            .rotation()
            .refresh_presented(&claims, presented),
    )
}

fn refresh(w: &World, pair: &TokenPair) -> Result<Rotated, Error> {
    refresh_as(w, pair, &Presentation::default())
}

fn proof(jkt: &str, jti: &str, iat: u64) -> Presentation {
    Presentation {
        proof: Some(DpopProof {
            jkt: jkt.into(),
            jti: jti.into(),
            iat,
        }),
        ..Presentation::default()
    }
}

#[test]
fn two_processes_keep_working_within_the_window_and_a_third_presentation_after_it_ends_the_session()
{
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(WINDOW, None))).unwrap();
    // Process A refreshes; B still holds `first`.
    w.clock.advance(60);
    let a = refresh(&w, &first).unwrap();
    assert!(!a.replayed);
    // B presents the old token after the grace window, inside the replay window: it gets the
    // session's current pair, the same A got, and nothing new is minted.
    w.clock.advance(600);
    let b = refresh(&w, &first).unwrap();
    assert!(b.replayed);
    assert_eq!(b.pair.refresh_token, a.pair.refresh_token);
    assert_eq!(b.pair.access_token, a.pair.access_token);
    assert_eq!(
        b.pair.expires_in,
        300u64.saturating_sub(600),
        "the same access token: what is left of its life"
    );
    // Both keep working: B (now current) rotates, A's copy is superseded and caught up too.
    w.clock.advance(10);
    let b2 = refresh(&w, &b.pair).unwrap();
    assert!(!b2.replayed);
    w.clock.advance(100);
    let a2 = refresh(&w, &a.pair).unwrap();
    assert!(a2.replayed);
    assert_eq!(a2.pair.refresh_token, b2.pair.refresh_token);
    // The first token was superseded at T0+60: after the window it is reuse, and the session
    // ends, its newest refresh token and its access tokens (through the revocation list).
    w.clock.set(T0 + 60 + WINDOW + 1);
    let err = refresh(&w, &first).unwrap_err();
    assert_eq!(err, Error::RefreshTokenReused);
    let err = refresh(&w, &b2.pair).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Session));
    let writes = w.kv.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].0, "revoked:sid:sid-a");
}

#[test]
fn without_a_window_a_superseded_token_after_the_grace_window_is_reuse_as_before() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(0, None))).unwrap();
    refresh(&w, &first).unwrap();
    w.clock.advance(11);
    assert_eq!(refresh(&w, &first), Err(Error::RefreshTokenReused));
    let record = block_on(SessionRecord::load(&w.sessions, "sid-a"))
        .unwrap()
        .unwrap();
    assert!(
        record.superseded.is_empty(),
        "a strict session keeps no list"
    );
}

#[test]
fn a_replay_answers_the_token_that_is_current_now_not_the_one_that_followed_it() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(WINDOW, None))).unwrap();
    let second = refresh(&w, &first).unwrap();
    let third = refresh(&w, &second.pair).unwrap();
    w.clock.advance(30);
    // `first` was superseded twice over; it still catches up, with `third`.
    let replay = refresh(&w, &first).unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.pair.refresh_token, third.pair.refresh_token);
}

#[test]
fn a_replay_of_a_session_bound_at_its_start_needs_its_key_and_without_it_changes_nothing() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(WINDOW, Some(KEY_A)))).unwrap();
    let now = w.clock.now();
    let a = refresh_as(&w, &first, &proof(KEY_A, "p1", now)).unwrap();
    w.clock.advance(120);
    let now = w.clock.now();
    // A stolen copy, with no proof or another key's: refused, and the session lives on.
    assert!(matches!(
        refresh(&w, &first),
        Err(Error::DpopProofInvalid(_))
    ));
    assert!(matches!(
        refresh_as(&w, &first, &proof(KEY_B, "p2", now)),
        Err(Error::DpopBindingMismatch)
    ));
    // The client's other process, with the key, catches up.
    let b = refresh_as(&w, &first, &proof(KEY_A, "p3", now)).unwrap();
    assert!(b.replayed);
    assert_eq!(b.pair.refresh_token, a.pair.refresh_token);
    refresh_as(&w, &a.pair, &proof(KEY_A, "p4", now)).unwrap();
}

#[test]
fn a_replay_without_the_key_of_a_session_bound_late_is_reuse() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(WINDOW, None))).unwrap();
    // The first refresh binds the session: it may have been a thief's.
    let now = w.clock.now();
    refresh_as(&w, &first, &proof(KEY_B, "p1", now)).unwrap();
    w.clock.advance(120);
    assert_eq!(refresh(&w, &first), Err(Error::RefreshTokenReused));
}

#[test]
fn the_record_keeps_a_bounded_list_and_forgets_what_left_the_window() {
    let w = World::new();
    let mut pair = block_on(w.sessions().start("sid-a", session(WINDOW, None))).unwrap();
    let oldest = pair.clone();
    for _ in 0..MAX_SUPERSEDED + 3 {
        pair = refresh(&w, &pair).unwrap().pair;
    }
    let record = block_on(SessionRecord::load(&w.sessions, "sid-a"))
        .unwrap()
        .unwrap();
    assert_eq!(record.superseded.len(), MAX_SUPERSEDED);
    // Beyond the list, an old token is reuse even inside the window.
    w.clock.advance(11);
    assert_eq!(refresh(&w, &oldest), Err(Error::RefreshTokenReused));

    let w = World::new();
    let first = block_on(w.sessions().start("sid-b", session(WINDOW, None))).unwrap();
    let second = refresh(&w, &first).unwrap();
    w.clock.advance(WINDOW + 1);
    refresh(&w, &second.pair).unwrap();
    let record = block_on(SessionRecord::load(&w.sessions, "sid-b"))
        .unwrap()
        .unwrap();
    assert_eq!(
        record.superseded.len(),
        1,
        "the token out of the window is gone"
    );
}

#[test]
fn status_calls_a_replayable_token_live_and_a_window_over_a_day_is_refused() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(WINDOW, None))).unwrap();
    refresh(&w, &first).unwrap();
    w.clock.advance(600);
    let jti = w
        .issuer
        .verify_refresh(&first.refresh_token, w.clock.now())
        .unwrap()
        .jti;
    let status = block_on(w.sessions().rotation().status("sid-a", Some(&jti)))
        .unwrap()
        .unwrap();
    assert!(status.live);
    w.clock.advance(WINDOW);
    let status = block_on(w.sessions().rotation().status("sid-a", Some(&jti)))
        .unwrap()
        .unwrap();
    assert!(!status.live);

    let err = block_on(w.sessions().start("sid-b", session(86_401, None))).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_OPTION");
}
