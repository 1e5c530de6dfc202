//! The security review's rules in the core (issue 11): exact logout everywhere through the
//! subject's sessions, replays that mint nothing, no token at rest, a cutoff that only moves
//! forward, tokens within the verifier's size limit, a client's own tokens, live refresh tokens.

mod support;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use edge_jwt_core::testing::MemorySessions;
use edge_jwt_core::{Algorithm, Error, NewSession, RevokedBy, SessionControl, Store};
use serde_json::{json, Map};
use support::*;

fn session(sub: &str) -> NewSession {
    NewSession {
        sub: sub.into(),
        client_id: "web".into(),
        ..NewSession::default()
    }
}

#[test]
fn logout_everywhere_is_exact_without_the_revocation_list() {
    // Finding 1: the subject's sessions are ended in their own stores; a revocation list that
    // never returns the subject's entry (a stale KV location) changes nothing for refreshes.
    let w = World::new();
    let one = block_on(w.sessions().start("sid-1", session("ann"))).unwrap();
    let two = block_on(w.sessions().start("sid-2", session("ann"))).unwrap();
    let bob = block_on(w.sessions().start("sid-3", session("bob"))).unwrap();
    block_on(w.sessions().revoke_subject("ann")).unwrap();
    let stale = w.fork(w.clock.clone());
    let mut stale = stale;
    stale.revocations = edge_jwt_core::RevocationList::new(
        edge_jwt_core::testing::MemoryStore::new(w.clock.clone()),
        30,
    );
    for world in [&w, &stale] {
        for pair in [&one, &two] {
            assert_eq!(
                block_on(world.sessions().refresh(&pair.refresh_token)).unwrap_err(),
                Error::Revoked(RevokedBy::Session)
            );
        }
        block_on(world.sessions().refresh(&bob.refresh_token)).unwrap();
    }
    // One KV write for the logout, however many sessions: the subject's entry.
    let writes = w.kv.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].0, "revoked:sub:ann");
}

#[test]
fn a_session_registered_before_a_logout_but_started_after_it_is_refused() {
    // The race the subject's object serializes: registered, then the logout fans out before
    // the start reaches the session's store.
    let w = World::new();
    let d = w.sessions();
    let min_iat = block_on(d.subject("ann").register("sid-late", "web", &d.control()))
        .unwrap()
        .min_iat;
    block_on(d.revoke_subject("ann")).unwrap();
    let err = block_on(d.rotation().start("sid-late", session("ann"), min_iat)).unwrap_err();
    assert_eq!(err, Error::Revoked(RevokedBy::Subject));
    // A session registered after the logout starts, even in the same second.
    block_on(d.start("sid-next", session("ann"))).unwrap();
}

#[test]
fn two_logouts_in_one_second_never_miss_a_session_started_between_them() {
    // Finding 5: the session started between them is dated cutoff + 1; the second logout's
    // cutoff is at least that, so edge verifiers refuse its access token too.
    let w = World::new();
    let d = w.sessions();
    block_on(d.revoke_subject("ann")).unwrap();
    let between = block_on(d.start("sid-b", session("ann"))).unwrap();
    block_on(d.check_access(&between.access_token)).unwrap();
    let cutoff = block_on(d.revoke_subject("ann")).unwrap();
    assert!(cutoff > T0, "the cutoff moved forward within the second");
    assert_eq!(
        block_on(d.check_access(&between.access_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Subject)
    );
    assert!(block_on(d.refresh(&between.refresh_token)).is_err());
    // And never backwards: a later logout at an earlier clock keeps the cutoff.
    let after = block_on(d.start("sid-c", session("ann"))).unwrap();
    block_on(d.check_access(&after.access_token)).unwrap();
}

#[test]
fn a_replay_inside_the_grace_window_answers_the_very_same_pair_for_every_algorithm() {
    // Finding 3: nothing new is minted for a replay.
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256] {
        let w = World::with_issuer(issuer_with(alg));
        let first = block_on(w.sessions().start("sid-r", session("ann"))).unwrap();
        let rotated = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
        for _ in 0..5 {
            w.clock.advance(1);
            let replay = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
            assert_eq!(replay.access_token, rotated.access_token, "{alg:?}");
            assert_eq!(replay.refresh_token, rotated.refresh_token, "{alg:?}");
        }
    }
}

#[test]
fn no_store_ever_holds_a_usable_token() {
    // Finding 4: only ids and times are stored; the tokens are signed again from them.
    let w = World::new();
    let mut tokens = Vec::new();
    let mut pair = block_on(w.sessions().start("sid-s", session("ann"))).unwrap();
    for _ in 0..3 {
        tokens.push(pair.access_token.clone());
        tokens.push(pair.refresh_token.clone());
        pair = block_on(w.sessions().refresh(&pair.refresh_token)).unwrap();
    }
    tokens.push(pair.access_token.clone());
    tokens.push(pair.refresh_token.clone());
    block_on(w.sessions().revoke(&pair.access_token)).unwrap();
    let stored: Vec<String> = [&w.sessions, &w.subjects, &w.kv]
        .iter()
        .flat_map(|store| store.entries())
        .map(|(key, value, _)| format!("{key}={value}"))
        .collect();
    for token in &tokens {
        let signature = token.rsplit('.').next().unwrap();
        let payload = token.split('.').nth(1).unwrap();
        for entry in &stored {
            assert!(
                !entry.contains(signature) && !entry.contains(payload),
                "{entry}"
            );
        }
    }
}

#[test]
fn a_session_whose_tokens_would_exceed_the_verifier_limit_is_refused() {
    // Finding 6.
    let w = World::new();
    let mut request = session("ann");
    request.claims = Map::from_iter([("blob".to_owned(), json!("x".repeat(9000)))]);
    let err = block_on(w.sessions().start("sid-big", request)).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_OPTION");
    assert!(err.to_string().contains("8192"), "{err}");
    assert!(
        w.sessions.entries().is_empty(),
        "nothing stored for a refused session"
    );
}

#[test]
fn an_authenticated_client_refreshes_only_its_own_tokens() {
    // Finding 8.
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-c", session("ann"))).unwrap();
    let claims = w.issuer.verify_refresh(&pair.refresh_token, T0).unwrap();
    assert_eq!(
        claims.check_client(Some("other")),
        Err(Error::ClientMismatch)
    );
    assert_eq!(claims.check_client(Some("web")), Ok(()));
    assert_eq!(claims.check_client(None), Ok(()));
}

#[test]
fn revoking_an_access_token_twice_writes_the_revocation_list_once() {
    // Finding 2.
    let w = World::new();
    let pair = block_on(w.sessions().start("sid-t", session("ann"))).unwrap();
    for _ in 0..5 {
        block_on(w.sessions().revoke(&pair.access_token)).unwrap();
        block_on(w.sessions().revoke(&pair.refresh_token)).unwrap();
    }
    let keys: Vec<String> = w.kv.writes().into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
}

#[test]
fn only_a_live_refresh_token_introspects_active() {
    // Finding 12.
    let w = World::new();
    let first = block_on(w.sessions().start("sid-i", session("ann"))).unwrap();
    let jti = |t: &str| w.issuer.verify_refresh(t, w_now(&w)).unwrap().jti;
    let status = |j: &str| {
        block_on(w.sessions().rotation().status("sid-i", Some(j)))
            .unwrap()
            .unwrap()
            .live
    };
    let first_jti = jti(&first.refresh_token);
    assert!(status(&first_jti));
    let second = block_on(w.sessions().refresh(&first.refresh_token)).unwrap();
    assert!(status(&first_jti), "inside the grace window");
    w.clock.advance(11);
    assert!(!status(&first_jti), "consumed");
    assert!(status(&jti(&second.refresh_token)));
    block_on(w.sessions().revoke(&second.refresh_token)).unwrap();
    assert!(!status(&jti(&second.refresh_token)), "revoked");
}

fn w_now(w: &World) -> u64 {
    use edge_jwt_core::Clock;
    w.clock.now()
}

#[test]
fn a_subject_lists_its_live_sessions_and_ends_one() {
    let w = World::new();
    let d = w.sessions();
    block_on(d.start("sid-phone", session("ann"))).unwrap();
    w.clock.advance(5);
    let laptop = block_on(d.start("sid-laptop", session("ann"))).unwrap();
    block_on(d.start("sid-bob", session("bob"))).unwrap();
    // The first refresh a day (the notice interval) after its start tells the subject.
    w.clock.advance(86_400);
    block_on(d.refresh(&laptop.refresh_token)).unwrap();
    let listed = block_on(d.subject("ann").sessions()).unwrap();
    let sids: Vec<&str> = listed.iter().map(|s| s.sid.as_str()).collect();
    assert_eq!(sids, ["sid-phone", "sid-laptop"]);
    assert_eq!(listed[1].last_refreshed_at, T0 + 5 + 86_400);
    assert_eq!(listed[0].last_refreshed_at, T0);
    block_on(d.subject("ann").end_session("sid-phone", &d.control())).unwrap();
    assert_eq!(
        block_on(d.subject("ann").end_session("sid-bob", &d.control())).unwrap_err(),
        Error::SessionNotFound
    );
    let listed = block_on(d.subject("ann").sessions()).unwrap();
    assert_eq!(listed.len(), 1);
    // A session ended some other way (its refresh token revoked) leaves the list too.
    block_on(d.revoke(&laptop.refresh_token)).unwrap();
    assert!(block_on(d.subject("ann").sessions()).unwrap().is_empty());
    assert!(
        block_on(d.rotation().status("sid-bob", None))
            .unwrap()
            .unwrap()
            .live
    );
}

#[test]
fn subject_records_expire_once_no_session_or_cutoff_matters() {
    let w = World::new();
    block_on(w.sessions().start("sid-x", session("ann"))).unwrap();
    let (key, _, expires_at) = w.subjects.entries().into_iter().next().unwrap();
    assert_eq!(key, "subject:ann");
    assert_eq!(expires_at, T0 + 30 * 86_400 + 30);
    let _ = block_on(w.subjects.get("subject:ann")).unwrap().unwrap();
}

#[test]
fn a_login_past_the_cap_evicts_the_least_recently_refreshed_session_instead_of_failing() {
    // Second review, finding 4: sessions ended by /revoke are forgotten at once, and the
    // 1,001st live session ends the least recently refreshed one rather than being refused.
    let w = World::new();
    let d = w.sessions();
    let mut pairs = Vec::new();
    for i in 0..1000 {
        pairs.push(block_on(d.start(&format!("sid-{i:04}"), session("ann"))).unwrap());
        w.clock.advance(1);
        if i % 20 == 19 {
            // 50 of them are logged out (RFC 7009) along the way.
            block_on(d.revoke(&pairs[i - 10].refresh_token)).unwrap();
        }
    }
    assert_eq!(block_on(d.subject("ann").sessions()).unwrap().len(), 950);
    for i in 1000..1050 {
        block_on(d.start(&format!("sid-{i:04}"), session("ann"))).unwrap();
    }
    assert_eq!(block_on(d.subject("ann").sessions()).unwrap().len(), 1000);
    // The oldest session is refreshed a day later: the second oldest is now the least recent.
    w.clock.advance(86_400);
    let oldest = block_on(d.refresh(&pairs[0].refresh_token)).unwrap();
    let registered = block_on(d.subject("ann").register("sid-new", "web", &d.control())).unwrap();
    assert_eq!(registered.evicted, ["sid-0001"]);
    // The evicted session is over in its own store; the refreshed one lives on.
    assert_eq!(
        block_on(d.refresh(&pairs[1].refresh_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Session)
    );
    block_on(d.refresh(&oldest.refresh_token)).unwrap();
    let listed = block_on(d.subject("ann").sessions()).unwrap();
    assert_eq!(listed.len(), 1000);
    assert!(listed.iter().all(|s| s.sid != "sid-0001"));
}

/// Ends sessions as `inner` does, but runs `meanwhile` (another login of the subject) while
/// the first end is awaited, as a Durable Object answers other requests while it waits on a
/// call.
struct Interleaved<'a> {
    inner: MemorySessions<'a>,
    meanwhile: RefCell<Option<Pin<Box<dyn Future<Output = ()> + 'a>>>>,
}

impl SessionControl for Interleaved<'_> {
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<(), Error> {
        self.inner.end_for_subject(sid, cutoff).await
    }

    async fn end(&self, sid: &str) -> Result<bool, Error> {
        let meanwhile = self.meanwhile.borrow_mut().take();
        if let Some(login) = meanwhile {
            login.await;
        }
        self.inner.end(sid).await
    }
}

#[test]
fn logins_that_interleave_at_the_cap_leave_the_subject_at_the_cap() {
    let w = World::new();
    let d = w.sessions();
    let policy = edge_jwt_core::Policy {
        max_sessions: 3,
        ..w.issuer.policy().clone()
    };
    let subject = edge_jwt_core::Subject {
        sub: "ann",
        store: &w.subjects,
        policy: &policy,
        clock: &w.clock,
    };
    for sid in ["s1", "s2", "s3"] {
        block_on(subject.register(sid, "web", &d.control())).unwrap();
        w.clock.advance(1);
    }
    let other = d.control();
    let other_login = async {
        let registered = subject.register("s5", "web", &other).await.unwrap();
        assert_eq!(registered.evicted, ["s1"]);
    };
    let interleaved = Interleaved {
        inner: d.control(),
        meanwhile: RefCell::new(Some(Box::pin(other_login))),
    };
    let registered = block_on(subject.register("s4", "web", &interleaved)).unwrap();
    // Both logins chose s1; the first to finish took its place, so this one ended s2 too.
    assert_eq!(registered.evicted, ["s1", "s2"]);
    let listed: Vec<String> = block_on(subject.sessions())
        .unwrap()
        .into_iter()
        .map(|s| s.sid)
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
}

#[test]
fn sessions_are_forgotten_when_reuse_ends_them_or_their_refresh_tokens_expire() {
    let w = World::new();
    let d = w.sessions();
    let reused = block_on(d.start("sid-reused", session("ann"))).unwrap();
    let abandoned = block_on(d.start("sid-abandoned", session("ann"))).unwrap();
    let active = block_on(d.start("sid-active", session("ann"))).unwrap();
    block_on(d.refresh(&reused.refresh_token)).unwrap();
    w.clock.advance(60);
    assert_eq!(
        block_on(d.refresh(&reused.refresh_token)).unwrap_err(),
        Error::RefreshTokenReused
    );
    let sids = |d: &Deployment| -> Vec<String> {
        let listed = block_on(d.subject("ann").sessions()).unwrap();
        listed.into_iter().map(|s| s.sid).collect()
    };
    assert_eq!(sids(&d), ["sid-abandoned", "sid-active"]);
    // One session refreshes twice a day for 20 days; the other is never used again.
    let mut pair = active;
    for _ in 0..40 {
        w.clock.advance(43_200);
        pair = block_on(d.refresh(&pair.refresh_token)).unwrap();
        // The subject always knows a session as long as its refresh token may be presented.
        let listed = block_on(d.subject("ann").sessions()).unwrap();
        assert!(listed.iter().any(|s| s.sid == "sid-active"));
    }
    assert_eq!(sids(&d), ["sid-active"]);
    assert!(block_on(d.refresh(&abandoned.refresh_token)).is_err());
}

/// Sessions' stores that yield once per call (so a fan-out's calls are all in flight
/// together) and record how many were, and whether the subject's revocation entry was
/// published before the first.
struct Watched<'a> {
    inner: MemorySessions<'a>,
    kv: &'a edge_jwt_core::testing::MemoryStore,
    in_flight: std::cell::Cell<usize>,
    most: std::cell::Cell<usize>,
    cutoff_published_first: std::cell::Cell<Option<bool>>,
}

struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

impl SessionControl for Watched<'_> {
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<(), Error> {
        if self.cutoff_published_first.get().is_none() {
            let published = self.kv.get("revoked:sub:ann").await.unwrap().is_some();
            self.cutoff_published_first.set(Some(published));
        }
        self.in_flight.set(self.in_flight.get() + 1);
        self.most.set(self.most.get().max(self.in_flight.get()));
        YieldOnce(false).await;
        self.in_flight.set(self.in_flight.get() - 1);
        self.inner.end_for_subject(sid, cutoff).await
    }

    async fn end(&self, sid: &str) -> Result<bool, Error> {
        self.inner.end(sid).await
    }
}

#[test]
fn logout_everywhere_publishes_the_cutoff_before_a_bounded_fan_out() {
    // Second review, finding 5: a fan-out that spends the subrequest budget must not keep the
    // access-token cutoff from being published, and it opens at most six calls at once.
    let w = World::new();
    let d = w.sessions();
    let pairs: Vec<_> = (0..20)
        .map(|i| block_on(d.start(&format!("sid-{i}"), session("ann"))).unwrap())
        .collect();
    let watched = Watched {
        inner: d.control(),
        kv: &w.kv,
        in_flight: Default::default(),
        most: Default::default(),
        cutoff_published_first: Default::default(),
    };
    block_on(
        d.subject("ann")
            .log_out_everywhere(&watched, &w.revocations),
    )
    .unwrap();
    assert_eq!(watched.cutoff_published_first.get(), Some(true));
    assert!(
        watched.most.get() <= 6,
        "{} calls at once",
        watched.most.get()
    );
    for pair in &pairs {
        assert!(block_on(d.refresh(&pair.refresh_token)).is_err());
    }
    // With every session's store failing, the cutoff still blocks every access token.
    let w = World::new();
    let d = w.sessions();
    let pair = block_on(d.start("sid-x", session("ann"))).unwrap();
    w.sessions.set_failing(true);
    assert!(block_on(d.revoke_subject("ann")).is_err());
    assert_eq!(
        block_on(d.check_access(&pair.access_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Subject)
    );
}

/// The `kid` a token was verified with travels with its claims, access and refresh alike, so
/// the revocation check covers the key without a second parse of the token.
#[test]
fn verified_claims_carry_their_kid_and_a_revoked_key_refuses_a_refresh_token() {
    let w = World::new();
    let d = w.sessions();
    let pair = block_on(d.start("sid-k", session("ann"))).unwrap();
    let kid = w.issuer.keys().signer().kid().to_owned();
    let access = w.issuer.verify_access(&pair.access_token, T0).unwrap();
    let refresh = w.issuer.verify_refresh(&pair.refresh_token, T0).unwrap();
    assert_eq!(access.ids().kid, Some(kid.as_str()));
    assert_eq!(refresh.ids().kid, Some(kid.as_str()));
    let list = &w.revocations;
    block_on(list.check_key(refresh.ids())).unwrap();
    block_on(list.revoke_key(&kid, T0 + 86_400, T0)).unwrap();
    assert_eq!(
        block_on(list.check_key(refresh.ids())).unwrap_err(),
        Error::Revoked(RevokedBy::Key)
    );
    assert_eq!(
        block_on(list.check(access.ids())).unwrap_err(),
        Error::Revoked(RevokedBy::Key)
    );
}

/// A revoked signing key (issue 25): every token it signed is refused by a verifier that saw
/// the header's `kid`, and only by the key's entry; tokens of other keys pass.
#[test]
fn a_revoked_signing_key_refuses_the_tokens_it_signed() {
    use edge_jwt_core::revocation::{entry_keys, judge, TokenIds};
    let clock = edge_jwt_core::testing::FixedClock::at(1_800_000_000);
    let store = edge_jwt_core::testing::MemoryStore::new(clock.clone());
    let list = edge_jwt_core::RevocationList::new(store, 30);
    let ids = |kid| TokenIds {
        jti: "j",
        sid: "s",
        sub: "ann",
        iat: 1_800_000_000,
        kid,
    };
    block_on(list.revoke_key("leaked", 1_800_000_000 + 86_400, 1_800_000_000)).unwrap();
    assert_eq!(
        block_on(list.check(ids(Some("leaked")))).unwrap_err(),
        Error::Revoked(RevokedBy::Key)
    );
    assert_eq!(block_on(list.check(ids(Some("other")))).unwrap(), None);
    assert_eq!(
        block_on(list.check(ids(None))).unwrap(),
        None,
        "without the header, as before"
    );
    // The entry a verifier reads itself, and what it must hold.
    assert_eq!(
        entry_keys(ids(Some("leaked"))).last().unwrap(),
        "revoked:kid:leaked"
    );
    assert_eq!(entry_keys(ids(None)).len(), 3);
    let read = |values: Vec<Option<&str>>| {
        judge::<Error>(
            ids(Some("leaked")),
            values.into_iter().map(|v| Ok(v.map(str::to_owned))),
        )
    };
    assert_eq!(
        read(vec![None, None, None, Some("1")]).unwrap_err(),
        Error::Revoked(RevokedBy::Key)
    );
    assert_eq!(read(vec![None, None, None, None]).unwrap(), None);
    // An entry that was not read fails closed.
    assert!(matches!(
        read(vec![None, None, None]).unwrap_err(),
        Error::StoreUnavailable(_)
    ));
}
