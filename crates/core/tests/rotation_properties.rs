//! Property tests of the rotation rules: random interleavings of refresh (of any token the
//! session ever had), reuse, revocation and clock steps.

mod support;

use edge_jwt_core::revocation::RevocationList;
use edge_jwt_core::testing::{FixedClock, MemoryStore};
use edge_jwt_core::{Clock, Error, NewSession, Sessions};
use proptest::prelude::*;
use support::*;

#[derive(Debug, Clone)]
enum Op {
    /// Present the refresh token with this index (modulo how many the session has had).
    Refresh(usize),
    Advance(u64),
    Logout,
    LogoutEverywhere,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<usize>().prop_map(Op::Refresh),
        4 => (0u64..25).prop_map(Op::Advance),
        1 => Just(Op::Logout),
        1 => Just(Op::LogoutEverywhere),
    ]
}

/// How many of `tokens` a refresh would accept once the grace window has passed, each tried
/// on its own copy of the stores so that the tries do not interfere.
fn live_after_grace(w: &World, tokens: &[String]) -> usize {
    let later = FixedClock::at(w.clock.now() + w.issuer.policy().reuse_grace + 1);
    tokens
        .iter()
        .filter(|token| {
            let sessions = w.sessions.fork(later.clone());
            let revocations = RevocationList::new(
                w.revocations.store().fork(later.clone()),
                w.issuer.policy().leeway,
            );
            let fork = Sessions {
                issuer: &w.issuer,
                sessions: &sessions,
                revocations: &revocations,
                clock: &later,
            };
            block_on(fork.refresh(token)).is_ok()
        })
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn rotation_never_forks_never_resurrects_and_always_expires(ops in prop::collection::vec(op(), 1..40)) {
        let w = World::new();
        let request = NewSession { sub: "alice".into(), client_id: "web".into(), ..NewSession::default() };
        let first = block_on(w.sessions().start("sid-p", request)).unwrap();
        let mut refresh_tokens = vec![first.refresh_token];
        let mut access_tokens = vec![first.access_token];
        let mut revoked = false;

        for op in ops {
            match op {
                Op::Refresh(i) => {
                    let token = refresh_tokens[i % refresh_tokens.len()].clone();
                    match block_on(w.sessions().refresh(&token)) {
                        Ok(pair) => {
                            prop_assert!(!revoked, "a revoked session issued tokens");
                            if !refresh_tokens.contains(&pair.refresh_token) {
                                refresh_tokens.push(pair.refresh_token);
                            }
                            access_tokens.push(pair.access_token);
                        }
                        Err(Error::RefreshTokenReused) => revoked = true,
                        Err(e) => prop_assert!(revoked, "unexpected refusal: {e}"),
                    }
                }
                Op::Advance(seconds) => w.clock.advance(seconds),
                Op::Logout => {
                    let newest = refresh_tokens.last().unwrap().clone();
                    block_on(w.sessions().revoke(&newest)).unwrap();
                    revoked = true;
                }
                Op::LogoutEverywhere => {
                    block_on(w.sessions().revoke_subject("alice")).unwrap();
                    revoked = true;
                }
            }

            let live = live_after_grace(&w, &refresh_tokens);
            prop_assert!(live <= 1, "{live} live refresh tokens after the grace window");
            if revoked {
                prop_assert_eq!(live, 0, "a revoked session still refreshes");
                for access in &access_tokens {
                    let checked = block_on(w.sessions().check_access(access));
                    prop_assert!(checked.is_err(), "an access token of a revoked session passed");
                }
            } else {
                prop_assert_eq!(live, 1, "a live session lost its refresh token");
            }
        }

        // Every entry ever written, in either store, expires; revocation entries live >= 60 s.
        for (key, at, expires_at) in w.sessions.writes() {
            prop_assert!(expires_at > at, "{key} written without a future expiry");
        }
        for (key, at, expires_at) in w.revocations.store().writes() {
            prop_assert!(expires_at >= at + 60, "{key} expires under 60 s");
        }
    }
}

#[test]
fn the_memory_store_forgets_expired_entries() {
    use edge_jwt_core::Store;
    let clock = FixedClock::at(T0);
    let store = MemoryStore::new(clock.clone());
    block_on(store.put("k", "v", T0 + 60)).unwrap();
    assert_eq!(block_on(store.get("k")).unwrap().as_deref(), Some("v"));
    clock.advance(60);
    assert_eq!(block_on(store.get("k")).unwrap(), None);
}
