//! Sessions bound to a DPoP key (RFC 9449 §5, §6): the rotation rules for proofs the adapter
//! has already checked against the request (`dpop.rs` tests that part), over the in-memory
//! stores the session's Durable Object stands for.

mod support;

use edge_jwt_core::dpop::{DpopProof, DEFAULT_PROOF_MAX_AGE};
use edge_jwt_core::{Error, NewSession, Presentation, Store as _, TokenPair};
use support::*;

/// Two keys' thumbprints (their shape is all the rotation sees).
const KEY_A: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const KEY_B: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

fn proof(jkt: &str, jti: &str) -> Presentation {
    Presentation {
        proof: Some(DpopProof {
            jkt: jkt.into(),
            jti: jti.into(),
            iat: T0,
        }),
        client_authenticated: false,
        resource: None,
        scope: None,
    }
}

fn session(dpop_jkt: Option<&str>) -> NewSession {
    NewSession {
        sub: "alice".into(),
        client_id: "web".into(),
        dpop_jkt: dpop_jkt.map(str::to_owned),
        ..NewSession::default()
    }
}

fn refresh(w: &World, pair: &TokenPair, presented: &Presentation) -> Result<TokenPair, Error> {
    let claims = w.issuer.verify_refresh(&pair.refresh_token, T0).unwrap();
    block_on(
        w.sessions()
            .rotation()
            .refresh_presented(&claims, presented),
    )
    .map(|rotated| rotated.pair)
}

/// `cnf.jkt` of an access token, if it has one.
fn bound_to(pair: &TokenPair) -> Option<String> {
    access_claims(pair)
        .get("cnf")
        .map(|cnf| cnf["jkt"].as_str().unwrap().to_owned())
}

/// The access token's payload, as signed.
fn access_claims(pair: &TokenPair) -> serde_json::Map<String, serde_json::Value> {
    let payload = pair.access_token.split('.').nth(1).unwrap();
    let bytes = edge_jwt_core::jose::b64::decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn a_session_started_with_dpop_jkt_is_bound_from_its_first_pair() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    assert_eq!(first.token_type, "DPoP");
    assert_eq!(bound_to(&first).as_deref(), Some(KEY_A));
    // The issuer's own verifier accepts the bound token (cnf is not a custom claim).
    w.issuer.verify_access(&first.access_token, T0).unwrap();
    let second = refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    assert_eq!(second.token_type, "DPoP");
    assert_eq!(bound_to(&second).as_deref(), Some(KEY_A));
}

#[test]
fn a_bound_session_refuses_a_refresh_without_a_proof_and_changes_nothing() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    let err = refresh(&w, &first, &Presentation::default()).unwrap_err();
    assert_eq!(err.code(), "ERR_DPOP_PROOF_INVALID");
    assert!(err.to_string().contains("bound to a key"), "{err}");
    // The refresh token was not consumed: its owner, with the key, still refreshes.
    refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
}

#[test]
fn a_bound_session_refuses_a_proof_by_another_key() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    let err = refresh(&w, &first, &proof(KEY_B, "p1")).unwrap_err();
    assert_eq!(err, Error::DpopBindingMismatch);
    assert_eq!(err.code(), "ERR_DPOP_BINDING_MISMATCH");
    refresh(&w, &first, &proof(KEY_A, "p2")).unwrap();
}

#[test]
fn a_proof_is_used_once() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    let second = refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    let err = refresh(&w, &second, &proof(KEY_A, "p1")).unwrap_err();
    assert_eq!(err, Error::DpopReplayed);
    // The replayed proof consumed nothing: a fresh proof refreshes the same token.
    refresh(&w, &second, &proof(KEY_A, "p2")).unwrap();
}

#[test]
fn a_used_proof_is_forgotten_once_it_is_too_old_to_pass() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    let kept_until = |w: &World| {
        w.sessions
            .entries()
            .into_iter()
            .find(|(key, _, _)| key == "dpop-jti:p1")
            .map(|(_, _, until)| until)
    };
    // Kept while a proof dated T0 still passes (60 s), and not much longer.
    let until = kept_until(&w).expect("the jti is kept");
    assert!(until > T0 + DEFAULT_PROOF_MAX_AGE, "{until}");
    w.clock.advance(DEFAULT_PROOF_MAX_AGE + 3600);
    assert_eq!(kept_until(&w), None);
}

#[test]
fn a_stolen_copy_without_the_key_cannot_end_the_session_as_a_reuse() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    let second = refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    w.clock.advance(120); // past the grace window: presenting `first` again would be reuse
    for thief in [Presentation::default(), proof(KEY_B, "t1")] {
        assert!(refresh(&w, &first, &thief).is_err());
    }
    // The session still rotates for its key holder.
    let third = refresh(&w, &second, &proof(KEY_A, "p2")).unwrap();
    assert_eq!(bound_to(&third).as_deref(), Some(KEY_A));
}

#[test]
fn a_public_clients_first_proof_binds_an_unbound_session() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(None))).unwrap();
    assert_eq!(
        (first.token_type.as_str(), bound_to(&first)),
        ("Bearer", None)
    );
    let second = refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    assert_eq!(second.token_type, "DPoP");
    assert_eq!(bound_to(&second).as_deref(), Some(KEY_A));
    // From then on the session is bound: no proof, or another key, is refused.
    let err = refresh(&w, &second, &Presentation::default()).unwrap_err();
    assert_eq!(err.code(), "ERR_DPOP_PROOF_INVALID");
    assert_eq!(
        refresh(&w, &second, &proof(KEY_B, "p2")).unwrap_err(),
        Error::DpopBindingMismatch
    );
    let status = block_on(w.sessions().rotation().status("sid-a", None))
        .unwrap()
        .unwrap();
    assert_eq!(status.jkt.as_deref(), Some(KEY_A));
}

#[test]
fn a_replay_in_the_grace_window_needs_the_proof_once_the_first_rotation_bound_the_session() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(None))).unwrap();
    let second = refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    // A concurrent tab with the key gets the very same pair.
    assert_eq!(refresh(&w, &first, &proof(KEY_A, "p2")).unwrap(), second);
}

#[test]
fn a_thief_who_binds_an_unbound_session_first_is_ended_when_its_owner_comes_back() {
    for (late, victim) in [(120, Presentation::default()), (2, proof(KEY_B, "v1"))] {
        let w = World::new();
        let first = block_on(w.sessions().start("sid-a", session(None))).unwrap();
        // The thief refreshes first with his key, binding the session to it.
        let thiefs = refresh(&w, &first, &proof(KEY_A, "t1")).unwrap();
        w.clock.advance(late);
        // The owner presents her (now used) token, with no proof or her own key: reuse.
        let err = refresh(&w, &first, &victim).unwrap_err();
        assert_eq!(err, Error::RefreshTokenReused, "after {late} s");
        // The thief's session is over, and its access tokens are on the revocation list.
        assert_eq!(
            refresh(&w, &thiefs, &proof(KEY_A, "t2")).unwrap_err(),
            Error::Revoked(edge_jwt_core::RevokedBy::Session)
        );
        let sid = access_claims(&thiefs)["sid"].as_str().unwrap().to_owned();
        assert!(block_on(w.kv.get(&format!("revoked:sid:{sid}")))
            .unwrap()
            .is_some());
    }
}

#[test]
fn a_confidential_clients_proof_binds_the_access_token_not_the_session() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(None))).unwrap();
    let mut presented = proof(KEY_A, "p1");
    presented.client_authenticated = true;
    let second = refresh(&w, &first, &presented).unwrap();
    assert_eq!(second.token_type, "DPoP");
    assert_eq!(bound_to(&second).as_deref(), Some(KEY_A));
    // Its refresh token stays bound to its credentials only: no proof next time is fine.
    let third = refresh(&w, &second, &Presentation::default()).unwrap();
    assert_eq!(
        (third.token_type.as_str(), bound_to(&third)),
        ("Bearer", None)
    );
}

#[test]
fn dpop_jkt_must_be_a_thumbprint() {
    let w = World::new();
    for bad in ["", "short", &format!("{KEY_A}x"), &KEY_A.replace('0', "+")] {
        let err = block_on(w.sessions().start("sid-a", session(Some(bad)))).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_OPTION", "{bad:?}");
        assert!(err.to_string().contains("dpop_jkt"), "{err}");
    }
}

#[test]
fn a_bound_session_is_revoked_only_with_a_proof_by_its_key() {
    let w = World::new();
    let first = block_on(w.sessions().start("sid-a", session(Some(KEY_A)))).unwrap();
    let claims = w.issuer.verify_refresh(&first.refresh_token, T0).unwrap();
    let revoke = |presented: &Presentation| {
        block_on(w.sessions().rotation().revoke_presented(&claims, presented))
    };
    assert_eq!(
        revoke(&Presentation::default()).unwrap_err().code(),
        "ERR_DPOP_PROOF_INVALID"
    );
    assert_eq!(
        revoke(&proof(KEY_B, "t1")).unwrap_err(),
        Error::DpopBindingMismatch
    );
    let second = refresh(&w, &first, &proof(KEY_A, "p1")).unwrap();
    assert_eq!(revoke(&proof(KEY_A, "p2")), Ok(true));
    assert_eq!(
        refresh(&w, &second, &proof(KEY_A, "p3")).unwrap_err(),
        Error::Revoked(edge_jwt_core::RevokedBy::Session)
    );
    // Revoking it again answers that it was not live, proof or no proof.
    assert_eq!(revoke(&Presentation::default()), Ok(false));
}

#[test]
fn a_refresh_naming_a_resource_must_name_the_sessions_own() {
    let w = World::new();
    let mut request = session(None);
    request.audience = Some("https://mcp.example/mcp".into());
    let first = block_on(w.sessions().start("sid-a", request)).unwrap();
    let naming = |resource: &str| Presentation {
        resource: Some(resource.into()),
        ..Presentation::default()
    };
    let err = refresh(&w, &first, &naming("https://other.example")).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_TARGET");
    // Nothing was consumed: the session's own resource refreshes.
    let second = refresh(&w, &first, &naming("https://mcp.example/mcp")).unwrap();
    assert_eq!(access_claims(&second)["aud"], "https://mcp.example/mcp");
    // A session for the default audience takes that one only.
    let plain = block_on(w.sessions().start("sid-b", session(None))).unwrap();
    assert_eq!(
        refresh(&w, &plain, &naming("https://mcp.example/mcp"))
            .unwrap_err()
            .code(),
        "ERR_INVALID_TARGET"
    );
    refresh(&w, &plain, &naming(AUDIENCE)).unwrap();
}
