//! Property tests of the rotation and logout rules: random interleavings of starting sessions,
//! refreshing (any token a session ever had), reuse, revoking one session, logging the subject
//! out everywhere (also racing a session's start) and clock steps.

mod support;

use edge_jwt_core::testing::FixedClock;
use edge_jwt_core::{Clock, Error, NewSession};
use proptest::prelude::*;
use support::*;

#[derive(Debug, Clone)]
enum Op {
    Start,
    /// Present refresh token `.1` (modulo its count) of session `.0` (modulo the count).
    Refresh(usize, usize),
    Advance(u64),
    /// RFC 7009 revocation of a session's newest refresh token.
    Logout(usize),
    /// The subject ends one session by its sid.
    EndOne(usize),
    LogoutEverywhere,
    /// A session registered, the subject logged out, then the session's start arrives.
    RacedStart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Start),
        8 => (any::<usize>(), any::<usize>()).prop_map(|(s, t)| Op::Refresh(s, t)),
        4 => (0u64..25).prop_map(Op::Advance),
        1 => any::<usize>().prop_map(Op::Logout),
        1 => any::<usize>().prop_map(Op::EndOne),
        1 => Just(Op::LogoutEverywhere),
        1 => Just(Op::RacedStart),
    ]
}

struct Tracked {
    sid: String,
    refresh_tokens: Vec<String>,
    access_tokens: Vec<String>,
    revoked: bool,
}

/// How many of `tokens` a refresh would accept once the grace window has passed, each tried
/// on its own copy of the stores so that the tries do not interfere.
fn live_after_grace(w: &World, tokens: &[String]) -> usize {
    let later = FixedClock::at(w.clock.now() + w.issuer.policy().reuse_grace + 1);
    tokens
        .iter()
        .filter(|token| {
            let fork = w.fork(later.clone());
            block_on(fork.sessions().refresh(token)).is_ok()
        })
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_session_forks_none_refreshes_after_its_logout_and_all_expire(ops in prop::collection::vec(op(), 1..40)) {
        let w = World::new();
        let d = w.sessions();
        let request = || NewSession { sub: "alice".into(), client_id: "web".into(), ..NewSession::default() };
        let mut sessions: Vec<Tracked> = Vec::new();
        let mut next_sid = 0;
        let mut new_sid = || { next_sid += 1; format!("sid-{next_sid}") };

        for op in ops {
            match op {
                Op::Start => {
                    let sid = new_sid();
                    let pair = block_on(d.start(&sid, request())).unwrap();
                    sessions.push(Tracked { sid, refresh_tokens: vec![pair.refresh_token],
                        access_tokens: vec![pair.access_token], revoked: false });
                }
                Op::Refresh(s, t) if !sessions.is_empty() => {
                    let n = sessions.len();
                    let tracked = &mut sessions[s % n];
                    let token = tracked.refresh_tokens[t % tracked.refresh_tokens.len()].clone();
                    match block_on(d.refresh(&token)) {
                        Ok(pair) => {
                            prop_assert!(!tracked.revoked, "{} refreshed after its logout", tracked.sid);
                            if !tracked.refresh_tokens.contains(&pair.refresh_token) {
                                tracked.refresh_tokens.push(pair.refresh_token);
                            }
                            tracked.access_tokens.push(pair.access_token);
                        }
                        Err(Error::RefreshTokenReused) => tracked.revoked = true,
                        Err(e) => prop_assert!(tracked.revoked, "unexpected refusal: {e}"),
                    }
                }
                Op::Advance(seconds) => w.clock.advance(seconds),
                Op::Logout(s) if !sessions.is_empty() => {
                    let n = sessions.len();
                    let tracked = &mut sessions[s % n];
                    let newest = tracked.refresh_tokens.last().unwrap().clone();
                    block_on(d.revoke(&newest)).unwrap();
                    tracked.revoked = true;
                }
                Op::EndOne(s) if !sessions.is_empty() => {
                    let n = sessions.len();
                    let tracked = &mut sessions[s % n];
                    match block_on(d.subject("alice").end_session(&tracked.sid, &d.control())) {
                        Ok(()) => {}
                        // Already forgotten by its subject: ended by a logout before.
                        Err(Error::SessionNotFound) => prop_assert!(tracked.revoked || w_expired(&w, tracked)),
                        Err(e) => prop_assert!(false, "end_session: {e}"),
                    }
                    tracked.revoked = true;
                }
                Op::LogoutEverywhere => {
                    block_on(d.revoke_subject("alice")).unwrap();
                    for tracked in &mut sessions {
                        tracked.revoked = true;
                    }
                }
                Op::RacedStart => {
                    let sid = new_sid();
                    let min_iat = block_on(d.subject("alice").register(&sid, "web", &d.control())).unwrap().min_iat;
                    block_on(d.revoke_subject("alice")).unwrap();
                    for tracked in &mut sessions {
                        tracked.revoked = true;
                    }
                    prop_assert!(block_on(d.rotation().start(&sid, request(), min_iat)).is_err(),
                        "a session registered before a logout started after it");
                }
                _ => {}
            }

            for tracked in &sessions {
                let live = live_after_grace(&w, &tracked.refresh_tokens);
                prop_assert!(live <= 1, "{}: {live} live refresh tokens after the grace window", tracked.sid);
                if tracked.revoked {
                    prop_assert_eq!(live, 0, "a revoked session still refreshes");
                    for access in &tracked.access_tokens {
                        prop_assert!(block_on(d.check_access(access)).is_err(),
                            "an access token of a revoked session passed");
                    }
                } else if !w_expired(&w, tracked) {
                    prop_assert_eq!(live, 1, "a live session lost its refresh token");
                }
            }
        }

        // Every entry ever written, in any store, expires; revocation entries live >= 60 s.
        for (key, at, expires_at) in w.sessions.writes().into_iter().chain(w.subjects.writes()) {
            prop_assert!(expires_at > at, "{key} written without a future expiry");
        }
        for (key, at, expires_at) in w.kv.writes() {
            prop_assert!(expires_at >= at + 60, "{key} expires under 60 s");
        }
    }
}

/// Whether a session's newest refresh token has expired (no rotation for its lifetime).
fn w_expired(w: &World, tracked: &Tracked) -> bool {
    let newest = tracked.refresh_tokens.last().unwrap();
    w.issuer
        .verify_refresh(newest, w.clock.now() + w.issuer.policy().reuse_grace + 1)
        .is_err()
}

#[test]
fn the_memory_store_forgets_expired_entries() {
    use edge_jwt_core::testing::MemoryStore;
    use edge_jwt_core::Store;
    let clock = FixedClock::at(T0);
    let store = MemoryStore::new(clock.clone());
    block_on(store.put("k", "v", T0 + 60)).unwrap();
    assert_eq!(block_on(store.get("k")).unwrap().as_deref(), Some("v"));
    clock.advance(60);
    assert_eq!(block_on(store.get("k")).unwrap(), None);
}

#[test]
fn the_memory_store_keeps_the_store_contract_and_a_broken_store_does_not() {
    use edge_jwt_core::conformance::check_store;
    use edge_jwt_core::testing::MemoryStore;
    use edge_jwt_core::{Store, StoreError};
    let store = MemoryStore::new(FixedClock::at(T0));
    block_on(check_store(&store, T0, "run-1")).unwrap();

    /// A store that folds keys to lower case: the suite must catch it.
    struct Folding(MemoryStore);
    impl Store for Folding {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            self.0.get(&key.to_lowercase()).await
        }
        async fn put(&self, key: &str, value: &str, expires_at: u64) -> Result<(), StoreError> {
            self.0.put(&key.to_lowercase(), value, expires_at).await
        }
    }
    let folding = Folding(MemoryStore::new(FixedClock::at(T0)));
    let err = block_on(check_store(&folding, T0, "run-2")).unwrap_err();
    assert!(err.contains("key \"a:b\""), "{err}");
}
