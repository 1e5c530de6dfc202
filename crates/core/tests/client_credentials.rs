//! The client credentials grant's rules: the scope a client gets, and the token it gets.

mod support;

use edge_jwt_core::issuer::grant_scope;
use edge_jwt_core::Error;
use support::*;

fn allowed() -> Vec<String> {
    vec!["reports:read".into(), "reports:write".into()]
}

#[test]
fn a_client_gets_the_scopes_it_asked_for_if_it_may_have_them() {
    assert_eq!(
        grant_scope(Some("reports:read"), &allowed()).unwrap(),
        Some("reports:read".into())
    );
    assert_eq!(
        grant_scope(
            Some("reports:write  reports:read reports:write"),
            &allowed()
        )
        .unwrap(),
        Some("reports:write reports:read".into()),
        "repeats and extra spaces collapse"
    );
    assert_eq!(
        grant_scope(None, &allowed()).unwrap(),
        Some("reports:read reports:write".into()),
        "no scope asked: all it may have"
    );
    assert_eq!(grant_scope(None, &[]).unwrap(), None);
    // Present but empty: no scope, never all of them.
    assert_eq!(grant_scope(Some(""), &allowed()).unwrap(), None);
    assert_eq!(grant_scope(Some("  "), &allowed()).unwrap(), None);
    let err = grant_scope(Some("reports:read admin"), &allowed()).unwrap_err();
    assert_eq!(err, Error::InvalidScope("admin".into()));
    assert_eq!(err.code(), "ERR_INVALID_SCOPE");
}

#[test]
fn a_client_token_is_an_access_token_for_the_client_itself() {
    let issuer = issuer();
    let token = issuer
        .issue_client_token("svc", Some("reports:read".into()), None, None, T0)
        .unwrap();
    assert_eq!(
        (token.token_type.as_str(), token.expires_in),
        ("Bearer", 300)
    );
    let claims = issuer.verify_access(&token.access_token, T0).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.client_id.as_str()),
        ("svc", "svc")
    );
    assert_eq!(claims.scope.as_deref(), Some("reports:read"));
    assert_eq!(claims.exp, T0 + 300);
    // Each has a session id of its own, so that revoking one revokes nothing else.
    let other = issuer
        .issue_client_token("svc", None, None, None, T0)
        .unwrap();
    let other = issuer.verify_access(&other.access_token, T0).unwrap();
    assert_ne!(claims.sid, other.sid);
    assert!(issuer.verify_refresh(&token.access_token, T0).is_err());
}
