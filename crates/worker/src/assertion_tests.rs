//! `private_key_jwt` (RFC 7523 §2.2) through the handlers over the in-memory objects: a
//! configured client with `jwks`, a registered one, and a metadata document shaped as
//! ChatGPT's publishes it, with its keys at a `jwks_uri` on its own host.

use edge_jwt_core::keys::{KeySet, SigningKey};
use edge_jwt_core::Algorithm;
use jwt_simple::prelude::{Audiences, JWTClaims, NoCustomClaims, UnixTimeStamp};
use serde_json::{json, Value};

use crate::flow_tests::{code_for, register, serve, LOGIN, REDIRECT, VERIFIER};
use crate::handler_tests::*;
use crate::settings;

const ISSUER: &str = "http://127.0.0.1:8787";

/// A client's key (its set signs with it and publishes its public half).
fn key() -> KeySet {
    KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap()
}

fn public_jwks(key: &KeySet) -> Value {
    key.public_jwks()
}

/// An assertion by `key` for `client_id`, to `aud`, valid `lifetime` seconds from `now`.
fn assertion(
    key: &KeySet,
    client_id: &str,
    aud: &str,
    jti: &str,
    now: u64,
    lifetime: u64,
) -> String {
    let claims = JWTClaims {
        issued_at: Some(UnixTimeStamp::from_secs(now)),
        expires_at: Some(UnixTimeStamp::from_secs(now + lifetime)),
        invalid_before: None,
        issuer: Some(client_id.to_owned()),
        subject: Some(client_id.to_owned()),
        audiences: Some(Audiences::AsString(aud.to_owned())),
        jwt_id: Some(jti.to_owned()),
        nonce: None,
        custom: NoCustomClaims {},
    };
    key.signer().sign(claims, "JWT").unwrap()
}

const BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn platform_with(clients: Value, extra: &[(&'static str, &str)]) -> MemoryPlatform {
    let clients = clients.to_string();
    let mut all: Vec<(&'static str, &str)> = vec![(settings::CLIENTS, clients.as_str())];
    all.extend_from_slice(extra);
    MemoryPlatform::new(settings(&all))
}

/// A configured client with `jwks` and no secret: every rule of an assertion, at the client
/// credentials grant.
#[test]
fn a_configured_client_authenticates_with_an_assertion_once_and_only_a_good_one() {
    let signer = key();
    let clients = json!({
        "backend": "0123456789abcdef-secret",
        "agent": {"jwks": public_jwks(&signer), "scopes": ["tools"], "grant_types": ["client_credentials"]},
    });
    let p = platform_with(clients, &[]);
    let token = |assertion: &str, extra: &[(&str, &str)]| {
        let mut params = vec![
            ("grant_type", "client_credentials"),
            ("client_assertion_type", BEARER),
            ("client_assertion", assertion),
        ];
        params.extend_from_slice(extra);
        p.handle(post_form("/token", &params, &[]))
    };
    let good = assertion(&signer, "agent", ISSUER, "j-1", T0, 60);
    let granted = token(&good, &[("client_id", "agent")]);
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert_eq!(
        token_claims(body(&granted)["access_token"].as_str().unwrap())["sub"],
        "agent"
    );
    // Each jti once, exactly.
    let again = token(&good, &[("client_id", "agent")]);
    assert_eq!(
        error_of(&again),
        (
            401,
            "invalid_client".into(),
            Some("ERR_CLIENT_ASSERTION_INVALID".into())
        )
    );
    assert!(again.body.contains("used before"), "{}", again.body);
    // The token endpoint is an audience too, and the client may be named by the assertion alone.
    let to_endpoint = assertion(&signer, "agent", &format!("{ISSUER}/token"), "j-2", T0, 60);
    assert_eq!(token(&to_endpoint, &[]).status, 200);
    let refused = [
        assertion(&signer, "agent", "https://elsewhere.example", "j-3", T0, 60),
        assertion(&signer, "agent", ISSUER, "j-4", T0, 3600),
        assertion(&key(), "agent", ISSUER, "j-5", T0, 60),
        assertion(&signer, "backend", ISSUER, "j-6", T0, 60),
        assertion(&signer, "agent", ISSUER, "j-7", T0 - 600, 60),
    ];
    for (i, bad) in refused.iter().enumerate() {
        let reply = token(bad, &[("client_id", "agent")]);
        assert_eq!(
            error_of(&reply).2.as_deref(),
            Some("ERR_CLIENT_ASSERTION_INVALID"),
            "{i}: {}",
            reply.body
        );
    }
    // One method at a time, and only the jwt-bearer type.
    let fresh = assertion(&signer, "agent", ISSUER, "j-8", T0, 60);
    assert_eq!(
        token(&fresh, &[("client_secret", "0123456789abcdef-secret")]).status,
        401
    );
    let other_type = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:x"),
            ("client_assertion", &fresh),
        ],
        &[],
    ));
    assert_eq!(error_of(&other_type).1, "invalid_client");
    assert_eq!(
        p.events().last().unwrap()["event"],
        "client_authentication_failed"
    );
    // A client with keys and no secret has no secret to send.
    let basic_try = p.handle(post_form(
        "/token",
        &[("grant_type", "client_credentials")],
        &[("Authorization", &basic("agent", "anything-at-all-00"))],
    ));
    assert_eq!(error_of(&basic_try).1, "invalid_client");
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!([
            "none",
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
    );
    assert!(metadata["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
}

/// ChatGPT's document shape: it declares `private_key_jwt` with a `jwks_uri` on its own host
/// and lists grant and response types the issuer does not serve. The whole flow, with an
/// assertion at the exchange, at each refresh and at `/revoke`.
#[test]
fn a_document_client_with_keys_on_its_host_runs_the_whole_flow_with_assertions() {
    let document_url = "https://chat.example/oauth/abc/client.json";
    let jwks_uri = "https://chat.example/oauth/jwks.json";
    let signer = key();
    let p = MemoryPlatform::new(settings(&[
        (settings::LOGIN_URL, LOGIN),
        (settings::CLIENT_METADATA_DOCUMENTS, "on"),
    ]));
    let document = json!({
        "client_id": document_url,
        "client_name": "ChatGPT",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
        "token_endpoint_auth_signing_alg": "EdDSA",
        "jwks_uri": jwks_uri,
        "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "response_types": ["code", "id_token"],
    });
    serve(&p, document_url, 200, document, Some("max-age=300"));
    serve(&p, jwks_uri, 200, public_jwks(&signer), Some("max-age=600"));
    let code = code_for(&p, document_url, &[("resource", "")]);
    let exchange = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("client_id", document_url),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        params.extend_from_slice(extra);
        p.handle(post_form("/token", &params, &[]))
    };
    let without = exchange(&[]);
    assert_eq!(error_of(&without).0, 401, "{}", without.body);
    let signed = assertion(&signer, document_url, ISSUER, "x-1", T0, 60);
    let pair = exchange(&[
        ("client_assertion_type", BEARER),
        ("client_assertion", &signed),
    ]);
    assert_eq!(pair.status, 200, "the code was not used up: {}", pair.body);
    let rt = body(&pair)["refresh_token"].as_str().unwrap().to_owned();
    // A confidential client's refresh needs its assertion.
    let refresh_with = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ];
        params.extend_from_slice(extra);
        p.handle(post_form("/token", &params, &[]))
    };
    assert_eq!(
        error_of(&refresh_with(&[])).2.as_deref(),
        Some("ERR_CLIENT_AUTHENTICATION_REQUIRED")
    );
    let signed = assertion(
        &signer,
        document_url,
        &format!("{ISSUER}/token"),
        "x-2",
        T0,
        60,
    );
    let refreshed = refresh_with(&[
        ("client_assertion_type", BEARER),
        ("client_assertion", &signed),
    ]);
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let fetches = p.fetches.get();
    let rt = body(&refreshed)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let signed = assertion(
        &signer,
        document_url,
        &format!("{ISSUER}/revoke"),
        "x-3",
        T0,
        60,
    );
    let revoked = p.handle(post_form(
        "/revoke",
        &[
            ("token", rt.as_str()),
            ("client_assertion_type", BEARER),
            ("client_assertion", &signed),
        ],
        &[],
    ));
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(p.fetches.get(), fetches, "the keys were kept");
    assert_eq!(introspect(&p, &rt)["active"], false);
}

/// A registered `private_key_jwt` client with `jwks`: no secret is minted; it authenticates
/// with assertions at the exchange.
#[test]
fn a_registered_client_with_jwks_gets_no_secret_and_exchanges_its_code_with_an_assertion() {
    let signer = key();
    let p = crate::flow_tests::flow_platform();
    let client = register(
        &p,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt", "jwks": public_jwks(&signer)}),
    );
    assert_eq!(client.get("client_secret"), None, "{client}");
    let id = client["client_id"].as_str().unwrap();
    let code = code_for(&p, id, &[("resource", "")]);
    let signed = assertion(&signer, id, ISSUER, "r-1", T0, 60);
    let pair = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_assertion_type", BEARER),
            ("client_assertion", &signed),
        ],
        &[],
    ));
    assert_eq!(pair.status, 200, "{}", pair.body);
    for bad in [
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "AAAA"}]}}),
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://127.0.0.1/jwks.json"}),
        json!({"redirect_uris": [REDIRECT], "jwks": public_jwks(&signer)}),
    ] {
        let reply = p.handle(post_json("/register", &bad, &[]));
        assert_eq!(
            error_of(&reply).1,
            "invalid_client_metadata",
            "{bad}: {}",
            reply.body
        );
    }
}

/// `/introspect` takes what `/token` takes: Basic, `client_secret_post`, or an assertion, for a
/// configured client with the `introspect` permission.
#[test]
fn introspect_authenticates_with_an_assertion_or_a_posted_secret() {
    let signer = key();
    let clients = json!({
        "backend": "0123456789abcdef-secret",
        "auditor": {"jwks": public_jwks(&signer), "permissions": ["introspect"]},
        "service": {"jwks": public_jwks(&signer), "grant_types": ["client_credentials"], "scopes": ["x"]},
    });
    let p = platform_with(clients, &[]);
    let started = p.handle(post_json(
        "/sessions",
        &json!({"sub": "alice"}),
        &[("Authorization", BACKEND)],
    ));
    let at = body(&started)["access_token"].as_str().unwrap().to_owned();
    let introspect_as = |params: &[(&str, &str)]| {
        let mut all = vec![("token", at.as_str())];
        all.extend_from_slice(params);
        p.handle(post_form("/introspect", &all, &[]))
    };
    let signed = assertion(
        &signer,
        "auditor",
        &format!("{ISSUER}/introspect"),
        "i-1",
        T0,
        60,
    );
    let answer = introspect_as(&[
        ("client_assertion_type", BEARER),
        ("client_assertion", &signed),
    ]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(body(&answer)["active"], true);
    let posted = introspect_as(&[
        ("client_id", "backend"),
        ("client_secret", "0123456789abcdef-secret"),
    ]);
    assert_eq!(body(&posted)["active"], true, "{}", posted.body);
    // Authenticated, but without the permission: 403; a bad secret: 401.
    let signed = assertion(&signer, "service", ISSUER, "i-2", T0, 60);
    let no_permission = introspect_as(&[
        ("client_assertion_type", BEARER),
        ("client_assertion", &signed),
    ]);
    assert_eq!(error_of(&no_permission).0, 403);
    let wrong = introspect_as(&[
        ("client_id", "backend"),
        ("client_secret", "not-the-secret-000"),
    ]);
    assert_eq!(error_of(&wrong).1, "invalid_client");
    // No form at all and no client: the client is refused (401) before its body is.
    let bare = crate::api::incoming::Incoming::new(
        "POST",
        "http://127.0.0.1:8787/introspect",
        &[("Authorization", "Bearer some-token")],
        b"",
    );
    assert_eq!(error_of(&p.handle(bare)).0, 401);
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(
        metadata["introspection_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
    );
}
