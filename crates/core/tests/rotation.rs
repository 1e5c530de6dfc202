//! The refresh-rotation and revocation rules, one test per rule, over the in-memory stores.

mod support;

use edge_jwt_core::session::SessionRecord;
use edge_jwt_core::{Error, NewSession, RevokedBy};
use serde_json::{json, Map};
use support::*;

fn new_session(sub: &str) -> NewSession {
    NewSession {
        sub: sub.into(),
        client_id: "web".into(),
        scope: Some("read write".into()),
        claims: json!({"role": "admin"}).as_object().cloned().unwrap(),
        dpop_jkt: None,
        audience: None,
        confidential: false,
        replay_window: 0,
    }
}

#[test]
fn a_session_starts_with_a_pair_carrying_its_claims() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    assert_eq!(pair.token_type, "Bearer");
    assert_eq!(pair.expires_in, 300);
    let access = w.issuer.verify_access(&pair.access_token, T0).unwrap();
    assert_eq!(access.sub, "alice");
    assert_eq!(access.sid, "sid-a");
    assert_eq!(access.client_id, "web");
    assert_eq!(access.scope.as_deref(), Some("read write"));
    assert_eq!(access.claims.as_map()["role"], "admin");
    assert_eq!(access.exp, T0 + 300);
    assert_eq!(access.jti.len(), 22, "128-bit base64url jti");
    let refresh = w.issuer.verify_refresh(&pair.refresh_token, T0).unwrap();
    assert_eq!(refresh.exp, T0 + 14 * 86_400);
    assert_eq!(refresh.session_end, T0 + 30 * 86_400);
    // Starting a session writes the session store only; the revocation list is untouched.
    assert!(w.kv.writes().is_empty());
}

#[test]
fn reserved_custom_claims_are_refused() {
    let w = World::new();
    for name in [
        "sub",
        "iss",
        "exp",
        "sid",
        "client_id",
        "scope",
        "jti",
        "aud",
        "typ",
    ] {
        let mut request = new_session("alice");
        request.claims = Map::from_iter([(name.to_owned(), json!("x"))]);
        let err = block_on(w.sessions().start("sid-a", request)).unwrap_err();
        assert_eq!(err, Error::ReservedClaim(name.into()));
        assert_eq!(err.code(), "ERR_JWT_CLAIM_RESERVED");
    }
}

#[test]
fn a_refresh_consumes_the_token_and_keeps_the_session() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    w.clock.advance(100);
    let second = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    let access = w
        .issuer
        .verify_access(&second.access_token, T0 + 100)
        .unwrap();
    assert_eq!(access.sid, "sid-a");
    assert_eq!(access.iat, T0 + 100);
    // Sliding refresh lifetime.
    let refresh = w
        .issuer
        .verify_refresh(&second.refresh_token, T0 + 100)
        .unwrap();
    assert_eq!(refresh.exp, T0 + 100 + 14 * 86_400);
    // A normal rotation writes no revocation entry (no KV write in the Worker).
    assert!(w.kv.writes().is_empty());
}

#[test]
fn within_the_grace_window_a_used_token_returns_the_same_successor() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let second = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    w.clock.advance(10);
    let again = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    assert_eq!(
        again.refresh_token, second.refresh_token,
        "the session must not fork"
    );
    w.issuer
        .verify_access(&again.access_token, T0 + 10)
        .unwrap();
    // The successor is still the live token.
    block_on(w.sessions().refresh(&second.refresh_token)).unwrap();
}

#[test]
fn after_the_grace_window_reuse_revokes_the_whole_session() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let second = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    w.clock.advance(11);
    let err = block_on(w.sessions().refresh(&first.refresh_token)).unwrap_err();
    assert_eq!(err, Error::RefreshTokenReused);
    // The newest refresh token of the session is dead too...
    let err = block_on(w.sessions().refresh(&second.refresh_token)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Session));
    // ...and so are its access tokens, through the revocation list.
    let err = block_on(w.sessions().check_access(&second.access_token)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Session));
    // The entry lasts until the session's end plus leeway, no longer.
    let writes = w.kv.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].0, "revoked:sid:sid-a");
    assert_eq!(writes[0].2, T0 + 30 * 86_400 + 30);
}

#[test]
fn an_older_ancestor_is_reuse_even_inside_the_window() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let second = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    let _third = block_on(w.sessions().refresh(&second.refresh_token)).unwrap();
    let err = block_on(w.sessions().refresh(&first.refresh_token)).unwrap_err();
    assert_eq!(err, Error::RefreshTokenReused);
}

#[test]
fn a_session_never_outlives_its_absolute_end() {
    let w = World::new();
    let mut pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    // Refresh every 13 days: the sliding lifetime never lapses, the absolute end still comes.
    for _ in 0..2 {
        w.clock.advance(13 * 86_400);
        pair = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap();
    }
    let refresh = w
        .issuer
        .verify_refresh(&pair.refresh_token, w_now(&w))
        .unwrap();
    assert_eq!(refresh.exp, T0 + 30 * 86_400, "capped at the session's end");
    w.clock.set(T0 + 30 * 86_400 + 31);
    let err = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_EXPIRED");
}

fn w_now(w: &World) -> u64 {
    use edge_jwt_core::Clock;
    w.clock.now()
}

#[test]
fn an_unused_refresh_token_expires_after_its_sliding_lifetime() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    w.clock.advance(14 * 86_400 + 31);
    let err = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_EXPIRED");
}

#[test]
fn an_unknown_session_is_refused() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let mut other = w.fork(w.clock.clone());
    other.sessions = edge_jwt_core::testing::MemoryStore::new(w.clock.clone());
    let err = block_on(other.sessions().refresh(&pair.refresh_token)).unwrap_err();
    assert_eq!(err, Error::SessionNotFound);
}

#[test]
fn revoking_an_access_token_blocks_its_jti_until_it_expires() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    block_on(w.sessions().revoke(&pair.access_token)).unwrap();
    let err = block_on(w.sessions().check_access(&pair.access_token)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Token));
    let writes = w.kv.writes();
    // exp + leeway = T0 + 330, above the 60-second floor.
    assert_eq!(
        writes,
        vec![(
            format!("revoked:jti:{}", jti(&w, &pair.access_token)),
            T0,
            T0 + 330
        )]
    );
    // The session's refresh token still works: only that access token was revoked.
    block_on(w.sessions().refresh(&pair.refresh_token)).unwrap();
}

fn jti(w: &World, access: &str) -> String {
    w.issuer.verify_access(access, T0).unwrap().jti
}

#[test]
fn no_revocation_entry_asks_for_less_than_sixty_seconds() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    // 290 s later the token has 10 s left (+30 leeway): the entry still gets 60 s.
    w.clock.advance(290);
    block_on(w.sessions().revoke(&pair.access_token)).unwrap();
    let writes = w.kv.writes();
    assert_eq!(writes[0].2, T0 + 290 + 60);
}

#[test]
fn revoking_a_refresh_token_ends_the_session() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    block_on(w.sessions().revoke(&pair.refresh_token)).unwrap();
    let err = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_REVOKED");
    let err = block_on(w.sessions().check_access(&pair.access_token)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Session));
    let record = block_on(SessionRecord::load(&w.sessions, "sid-a"))
        .unwrap()
        .unwrap();
    assert!(record.revoked);
}

#[test]
fn revoking_garbage_or_expired_tokens_is_not_an_error() {
    let w = World::new();
    block_on(w.sessions().revoke("not a token")).unwrap();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    w.clock.advance(1000);
    block_on(w.sessions().revoke(&pair.access_token)).unwrap();
    assert!(w.kv.writes().is_empty());
}

#[test]
fn logging_a_subject_out_everywhere_spares_sessions_started_after_it() {
    let w = World::new();
    let before = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let bob = block_on(w.sessions().start("sid-b", new_session("bob"))).unwrap();
    block_on(w.sessions().revoke_subject("alice")).unwrap();
    // Same second: the old session is refused, a new one works.
    let after = block_on(w.sessions().start("sid-c", new_session("alice"))).unwrap();
    assert_eq!(
        block_on(w.sessions().check_access(&before.access_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Subject)
    );
    // The session was ended in its own store: no read of the revocation list decides it.
    assert_eq!(
        block_on(w.sessions().refresh(&before.refresh_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Session)
    );
    block_on(w.sessions().check_access(&after.access_token)).unwrap();
    let rotated = block_on(w.sessions().refresh(&after.refresh_token)).unwrap();
    block_on(w.sessions().check_access(&rotated.access_token)).unwrap();
    // Other subjects are untouched.
    block_on(w.sessions().check_access(&bob.access_token)).unwrap();
    // The entry expires once every token issued before it has (refresh lifetime + leeway).
    let (key, _, expires_at) = w.kv.entries().into_iter().next().unwrap();
    assert_eq!(key, "revoked:sub:alice");
    assert_eq!(expires_at, T0 + 14 * 86_400 + 30);
}

#[test]
fn a_failing_revocation_list_fails_closed_for_access_tokens_and_never_decides_a_refresh() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    w.kv.set_failing(true);
    let err = block_on(w.sessions().check_access(&pair.access_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_STORE_UNAVAILABLE");
    // Rotation reads only the session's own store.
    block_on(w.sessions().refresh(&pair.refresh_token)).unwrap();
    block_on(w.sessions().start("sid-b", new_session("alice"))).unwrap();
}

#[test]
fn a_failed_revocation_write_after_reuse_is_completed_by_the_next_request() {
    // Finding 9: the session is marked revoked first; publishing it to the revocation list
    // is retried by every later request until it succeeds.
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let second = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    w.clock.advance(11);
    w.kv.set_failing(true);
    let err = block_on(w.sessions().refresh(&first.refresh_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_STORE_UNAVAILABLE");
    // Already refused, before the revocation list has the entry.
    assert!(block_on(w.sessions().refresh(&second.refresh_token)).is_err());
    w.kv.set_failing(false);
    assert!(w.kv.entries().is_empty());
    let err = block_on(w.sessions().refresh(&second.refresh_token)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Session));
    let err = block_on(w.sessions().check_access(&second.access_token)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Session));
    // Published once: later requests write nothing more.
    block_on(w.sessions().refresh(&second.refresh_token)).unwrap_err();
    assert_eq!(w.kv.writes().len(), 1);
}

#[test]
fn a_failing_session_store_fails_closed_and_consumes_nothing() {
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    w.sessions.set_failing(true);
    let err = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_STORE_UNAVAILABLE");
    w.sessions.set_failing(false);
    block_on(w.sessions().refresh(&pair.refresh_token)).unwrap();
}

#[test]
fn a_corrupt_session_record_fails_closed() {
    use edge_jwt_core::Store;
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    block_on(w.sessions.put("session:sid-a", "{not json", T0 + 100)).unwrap();
    let err = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap_err();
    assert_eq!(err.code(), "ERR_STORE_UNAVAILABLE");
}

#[test]
fn session_records_expire_with_the_session() {
    let w = World::new();
    block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let writes = w.sessions.writes();
    assert_eq!(
        writes,
        vec![("session:sid-a".to_owned(), T0, T0 + 30 * 86_400 + 30)]
    );
}

#[test]
fn either_kind_of_token_is_recognised_and_a_forged_typ_gains_nothing() {
    use edge_jwt_core::issuer::IssuedToken;
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-k", new_session("kim"))).unwrap();
    assert!(matches!(
        w.issuer.verify_any(&pair.access_token, T0),
        Ok(IssuedToken::Access(_))
    ));
    assert!(matches!(
        w.issuer.verify_any(&pair.refresh_token, T0),
        Ok(IssuedToken::Refresh(_))
    ));
    // The header's typ only orders the checks: an access token relabelled rt+jwt (same
    // signature) verifies as neither kind.
    let parts: Vec<&str> = pair.access_token.split('.').collect();
    let mut header: serde_json::Value =
        serde_json::from_slice(&edge_jwt_core::jose::b64::decode(parts[0]).unwrap()).unwrap();
    header["typ"] = json!("rt+jwt");
    let relabelled = format!(
        "{}.{}.{}",
        edge_jwt_core::jose::b64::encode(header.to_string().as_bytes()),
        parts[1],
        parts[2]
    );
    assert_eq!(
        w.issuer.verify_any(&relabelled, T0).unwrap_err(),
        Error::SignatureVerificationFailed
    );
}

#[test]
fn verified_claims_rotate_as_the_token_does() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-v", new_session("vic"))).unwrap();
    let claims = w.issuer.verify_refresh(&first.refresh_token, T0).unwrap();
    let second = block_on(w.sessions().refresh_verified(&claims)).unwrap();
    w.clock.advance(11);
    // The same claims again, after the grace window: reuse, exactly as with the token.
    assert_eq!(
        block_on(w.sessions().refresh_verified(&claims)).unwrap_err(),
        Error::RefreshTokenReused
    );
    assert!(block_on(w.sessions().refresh(&second.refresh_token)).is_err());
}

/// RFC 6749 §6: a refresh may ask for less than the session was granted, for its new access
/// token only; wider is `invalid_scope` and uses nothing up. A replay in the grace window
/// answers what the rotation got.
#[test]
fn a_refresh_may_narrow_the_scope_of_its_access_token_never_widen_it() {
    use edge_jwt_core::Presentation;
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", new_session("alice"))).unwrap();
    let claims = w.issuer.verify_refresh(&first.refresh_token, T0).unwrap();
    let asking = |scope: &str| Presentation {
        scope: Some(scope.into()),
        ..Presentation::default()
    };
    let sessions = w.sessions();
    let rotation = sessions.rotation();
    let wider = block_on(rotation.refresh_presented(&claims, &asking("read admin")));
    assert_eq!(wider.unwrap_err(), Error::InvalidScope("admin".into()));
    let narrowed = block_on(rotation.refresh_presented(&claims, &asking("read")))
        .unwrap()
        .pair;
    assert_eq!(narrowed.scope.as_deref(), Some("read"));
    let access = w.issuer.verify_access(&narrowed.access_token, T0).unwrap();
    assert_eq!(access.scope.as_deref(), Some("read"));
    // The grace window's replay answers the very same narrowed pair.
    let again = block_on(rotation.refresh_presented(&claims, &Presentation::default()))
        .unwrap()
        .pair;
    assert_eq!(again.access_token, narrowed.access_token);
    // The refresh token keeps what was granted: the next refresh without scope gets it all.
    let next = block_on(w.sessions().refresh(&narrowed.refresh_token)).unwrap();
    assert_eq!(next.scope.as_deref(), Some("read write"));
    let none = w.issuer.verify_refresh(&next.refresh_token, T0).unwrap();
    let empty = block_on(rotation.refresh_presented(&none, &asking("")))
        .unwrap()
        .pair;
    assert_eq!(empty.scope, None);
    let access = w.issuer.verify_access(&empty.access_token, T0).unwrap();
    assert_eq!(access.scope, None);
}
