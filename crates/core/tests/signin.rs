//! Sign-in through an identity provider: its ID token checked as OpenID Connect Core §3.1.3.7
//! says, with the provider's keys; the subject and claims it yields.

mod support;

use edge_jwt_core::signin::{verify_id_token, IdTokenCheck, Upstream};
use edge_jwt_core::testing::{raw_claims, ProviderKeys};
use edge_jwt_core::ErrorCode;
use serde_json::{json, Map, Value};
use support::T0;

const PROVIDER: &str = "https://login.example.com";
const CLIENT: &str = "edge-jwt-at-provider";

/// The ID tokens a test provider signs.
trait IdTokens {
    fn id_token(&self, edit: impl FnOnce(&mut Map<String, Value>)) -> String;
}

impl IdTokens for ProviderKeys {
    fn id_token(&self, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut claims = Map::from_iter([
            ("iss".into(), json!(PROVIDER)),
            ("aud".into(), json!(CLIENT)),
            ("sub".into(), json!("248289761001")),
            ("nonce".into(), json!("n-0S6_WzA2Mj")),
            ("iat".into(), json!(T0)),
            ("exp".into(), json!(T0 + 600)),
            ("email".into(), json!("jane@example.com")),
        ]);
        edit(&mut claims);
        // Registered claims go through as they are, so each test may drop one.
        self.sign(raw_claims(claims), "JWT")
    }
}

fn algorithms() -> Vec<String> {
    vec!["RS256".into(), "EdDSA".into()]
}

fn check(algorithms: &[String]) -> IdTokenCheck<'_> {
    IdTokenCheck {
        issuer: PROVIDER,
        client_id: CLIENT,
        nonce: "n-0S6_WzA2Mj",
        algorithms: Some(algorithms),
        now: T0 + 5,
        leeway: 30,
    }
}

#[test]
fn a_providers_id_token_for_this_sign_in_verifies() {
    let provider = ProviderKeys::new();
    let algs = algorithms();
    let claims =
        verify_id_token(&provider.id_token(|_| {}), &provider.jwks(), &check(&algs)).unwrap();
    assert_eq!(claims.string("sub").unwrap(), Some("248289761001"));
    // Several audiences with azp naming this client are fine too.
    let multi = provider.id_token(|c| {
        c.insert("aud".into(), json!([CLIENT, "other"]));
        c.insert("azp".into(), json!(CLIENT));
    });
    assert!(verify_id_token(&multi, &provider.jwks(), &check(&algs)).is_ok());
}

#[test]
fn an_id_token_is_refused_unless_every_rule_holds() {
    let provider = ProviderKeys::new();
    let algs = algorithms();
    let refused = |token: String, check: IdTokenCheck<'_>, jwks: &str| {
        let err = verify_id_token(&token, jwks, &check).unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::SignInFailed, "{err}");
        err.to_string()
    };
    let jwks = provider.jwks();
    let cases: Vec<(String, &str)> = vec![
        (
            provider.id_token(|c| {
                c.insert("nonce".into(), json!("another"));
            }),
            "nonce",
        ),
        (
            provider.id_token(|c| {
                c.remove("nonce");
            }),
            "nonce",
        ),
        (
            provider.id_token(|c| {
                c.insert("aud".into(), json!("another-client"));
            }),
            "aud",
        ),
        (
            provider.id_token(|c| {
                c.insert("aud".into(), json!([CLIENT, "other"]));
            }),
            "azp",
        ),
        (
            provider.id_token(|c| {
                c.insert("azp".into(), json!("other"));
            }),
            "another client",
        ),
        (
            provider.id_token(|c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
            "iss",
        ),
        (
            provider.id_token(|c| {
                c.insert("exp".into(), json!(T0 - 100));
            }),
            "exp",
        ),
        (
            provider.id_token(|c| {
                c.remove("iat");
            }),
            "iat",
        ),
        (
            provider.id_token(|c| {
                c.remove("sub");
            }),
            "sub",
        ),
        (ProviderKeys::new().id_token(|_| {}), "verify"),
    ];
    for (token, expected) in cases {
        let why = refused(token, check(&algs), &jwks);
        assert!(why.contains(expected), "{expected}: {why}");
    }
    // Signed with an algorithm the provider does not publish (RS256 only), or publishing only
    // HS256 (a MAC under the client secret): refused.
    let rs256 = vec!["RS256".to_owned()];
    refused(provider.id_token(|_| {}), check(&rs256), &jwks);
    let hs256 = vec!["HS256".to_owned()];
    assert!(refused(provider.id_token(|_| {}), check(&hs256), &jwks).contains("no algorithm"));
}

fn upstream(value: Value) -> Upstream {
    serde_json::from_value(value).unwrap()
}

#[test]
fn an_upstream_names_its_users_by_its_id_and_their_sub_and_carries_only_the_claims_listed() {
    let corp = upstream(
        json!({"id": "corp", "issuer": PROVIDER, "client_id": CLIENT,
        "client_secret": "s", "claims": ["email", "name"]}),
    );
    assert!(corp.validate().is_ok());
    assert_eq!(corp.subject("248289761001").unwrap(), "corp|248289761001");
    assert_eq!(
        corp.subject("").unwrap_err().error_code(),
        ErrorCode::SignInFailed
    );
    assert_eq!(
        corp.subject(&"x".repeat(300)).unwrap_err().error_code(),
        ErrorCode::SignInFailed
    );
    let identity = json!({"sub": "1", "email": "a@b", "groups": ["x"]});
    let carried = corp.carried_claims(identity.as_object().unwrap());
    assert_eq!(Value::Object(carried), json!({"email": "a@b"}));
    assert_eq!(corp.scope(), "openid email profile");
    let github =
        upstream(json!({"id": "github", "github": true, "client_id": "c", "client_secret": "s"}));
    assert!(github.validate().is_ok());
    assert_eq!(github.scope(), "read:user user:email");
    for bad in [
        json!({"id": "Corp", "issuer": PROVIDER, "client_id": "c", "client_secret": "s"}),
        json!({"id": "x", "client_id": "c", "client_secret": "s"}),
        json!({"id": "x", "github": true, "issuer": PROVIDER, "client_id": "c", "client_secret": "s"}),
        json!({"id": "x", "github": true, "client_id": "c", "client_secret": ""}),
        json!({"id": "x", "github": true, "client_id": "c", "client_secret": "s", "claims": ["sub"]}),
        json!({"id": "x", "github": true, "client_id": "c", "client_secret": "s", "allow": {"email_domains": [""]}}),
    ] {
        assert!(upstream(bad.clone()).validate().is_err(), "{bad}");
    }
}
