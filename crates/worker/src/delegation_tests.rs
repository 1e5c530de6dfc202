//! The grants of delegation through the handlers over the in-memory objects: token exchange
//! (RFC 8693) tied to the subject token's session, and the JWT bearer grant with ID-JAGs from a
//! trusted identity provider whose keys the issuer discovers.

use edge_jwt_core::testing::ProviderKeys;
use jwt_simple::prelude::{Audiences, JWTClaims, UnixTimeStamp};
use serde_json::{json, Map, Value};

use crate::api::reply::Reply;
use crate::flow_tests::serve;
use crate::handler_tests::*;
use crate::settings;

const ISSUER: &str = "http://127.0.0.1:8787";
/// The audience of the tokens the MCP server receives (the dev settings' default audience).
const MCP: &str = "http://127.0.0.1:8787/api";
const DOWNSTREAM: &str = "https://downstream.example";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const MCP_SERVER: (&str, &str) = ("mcp-server", "mcp-server-secret-0123456789");
const AGENT: (&str, &str) = ("agent", "agent-secret-0123456789abcdef");
const IDP: &str = "https://idp.example";

fn clients() -> Value {
    json!({
        "backend": "0123456789abcdef-secret",
        SERVICE.0: { "secret": SERVICE.1, "scopes": ["reports:read"], "grant_types": ["client_credentials"] },
        MCP_SERVER.0: {
            "secret": MCP_SERVER.1,
            "permissions": ["exchange"],
            "exchange": { "from": [MCP], "to": [DOWNSTREAM] },
        },
        AGENT.0: AGENT.1,
    })
}

fn platform(extra: &[(&'static str, &str)]) -> MemoryPlatform {
    let clients = clients().to_string();
    let mut all: Vec<(&'static str, &str)> = vec![(settings::CLIENTS, clients.as_str())];
    all.extend_from_slice(extra);
    MemoryPlatform::new(settings(&all))
}

fn exchange(
    p: &MemoryPlatform,
    client: (&str, &str),
    subject: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut params = vec![
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TOKEN),
    ];
    params.extend_from_slice(extra);
    let auth = basic(client.0, client.1);
    p.handle(post_form("/token", &params, &[("Authorization", &auth)]))
}

#[test]
fn an_exchanged_token_lives_and_ends_with_the_subject_tokens_session() {
    let p = platform(&[]);
    let session = start_session(&p, "user-1", json!({"scope": "files:read files:write"}));
    let subject = session["access_token"].as_str().unwrap();
    let reply = exchange(&p, MCP_SERVER, subject, &[("scope", "files:read")]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = body(&reply);
    assert_eq!(answer["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(answer["token_type"], "Bearer");
    assert!(answer.get("refresh_token").is_none(), "no refresh token");
    let exchanged = answer["access_token"].as_str().unwrap();
    let claims = token_claims(exchanged);
    let original = token_claims(subject);
    assert_eq!(claims["aud"], DOWNSTREAM);
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["sid"], original["sid"]);
    assert_eq!(claims["act"], json!({"sub": "mcp-server"}));
    assert_eq!(claims["client_id"], "mcp-server");
    assert_eq!(claims["scope"], "files:read");
    assert!(claims["exp"].as_u64() <= original["exp"].as_u64());
    assert!(p
        .events()
        .iter()
        .any(|e| e["event"] == "token_exchanged" && e["client_id"] == "mcp-server"));
    assert_eq!(introspect(&p, exchanged)["active"], true);
    assert_eq!(introspect(&p, exchanged)["act"]["sub"], "mcp-server");

    // Ending the session (revoking its refresh token) refuses the exchanged token too.
    let refresh_token = session["refresh_token"].as_str().unwrap();
    let revoked = p.handle(post_form("/revoke", &[("token", refresh_token)], &[]));
    assert_eq!(revoked.status, 200);
    assert_eq!(introspect(&p, exchanged)["active"], false);
    // And the subject token can no longer be exchanged.
    let again = exchange(&p, MCP_SERVER, subject, &[]);
    assert_eq!(
        error_of(&again),
        (
            400,
            "invalid_request".into(),
            Some("ERR_TOKEN_EXCHANGE_INVALID".into())
        )
    );
}

#[test]
fn logging_the_subject_out_everywhere_refuses_its_exchanged_tokens() {
    let p = platform(&[]);
    let session = start_session(&p, "user-2", json!({}));
    let subject = session["access_token"].as_str().unwrap();
    let reply = exchange(&p, MCP_SERVER, subject, &[("resource", DOWNSTREAM)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let exchanged = body(&reply)["access_token"].as_str().unwrap().to_owned();
    let logout = p.handle(post_form(
        "/subjects/user-2/revoke",
        &[],
        &[("Authorization", BACKEND)],
    ));
    assert!(logout.status < 300, "{}", logout.body);
    assert_eq!(introspect(&p, &exchanged)["active"], false);
}

#[test]
fn an_exchange_is_refused_with_the_error_that_says_why() {
    let p = platform(&[]);
    let session = start_session(&p, "user-3", json!({"scope": "files:read"}));
    let subject = session["access_token"].as_str().unwrap();
    let refused = |client: (&str, &str), extra: &[(&str, &str)]| {
        let reply = exchange(&p, client, subject, extra);
        let (status, error, code) = error_of(&reply);
        (status, error, code.unwrap_or_default())
    };
    // A client without the permission, and one that did not authenticate.
    assert_eq!(
        refused(SERVICE, &[]),
        (
            400,
            "unauthorized_client".into(),
            "ERR_UNAUTHORIZED_CLIENT".into()
        )
    );
    assert_eq!(
        refused((MCP_SERVER.0, "wrong-secret-0123456789"), &[]).0,
        401
    );
    // An audience it may not exchange for; a scope wider than the subject token's.
    assert_eq!(
        refused(MCP_SERVER, &[("audience", "https://billing.example")]).1,
        "invalid_target"
    );
    assert_eq!(
        refused(MCP_SERVER, &[("scope", "files:read files:write")]).1,
        "invalid_scope"
    );
    // Token types it does not take; an actor token.
    for extra in [
        [(
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:jwt",
        )],
        [("actor_token", "x")],
    ] {
        assert_eq!(refused(MCP_SERVER, &extra).1, "invalid_request");
    }
    let id_token = p.handle(post_form(
        "/token",
        &[
            ("grant_type", EXCHANGE),
            ("subject_token", subject),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
        ],
        &[("Authorization", &basic(MCP_SERVER.0, MCP_SERVER.1))],
    ));
    assert_eq!(error_of(&id_token).1, "invalid_request");
    // A refresh token is not a subject token; an exchanged token's audience is not the
    // client's to exchange from.
    let refresh_token = session["refresh_token"].as_str().unwrap();
    let reply = exchange(&p, MCP_SERVER, refresh_token, &[]);
    assert_eq!(error_of(&reply).1, "invalid_request");
    let exchanged = body(&exchange(&p, MCP_SERVER, subject, &[]))["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let twice = exchange(&p, MCP_SERVER, &exchanged, &[]);
    assert!(twice.body.contains("exchange.from"), "{}", twice.body);
    // Nothing was used up: the session refreshes as before.
    assert_eq!(refresh(&p, refresh_token, &[]).status, 200);
}

#[test]
fn a_bound_subject_token_is_exchanged_with_a_proof_by_its_key() {
    let p = platform(&[]);
    let client_key = Browser::new();
    let session = start_session(&p, "user-4", json!({"dpop_jkt": client_key.thumbprint()}));
    let subject = session["access_token"].as_str().unwrap();
    assert!(token_claims(subject)["cnf"]["jkt"].is_string());
    let without = exchange(&p, MCP_SERVER, subject, &[]);
    assert_eq!(error_of(&without).1, "invalid_dpop_proof");
    let other = Browser::new();
    let proof = other.proof(&format!("{ISSUER}/token"));
    let auth = basic(MCP_SERVER.0, MCP_SERVER.1);
    let params = [
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TOKEN),
    ];
    let by_other = p.handle(post_form(
        "/token",
        &params,
        &[("Authorization", &auth), ("DPoP", &proof)],
    ));
    assert_eq!(error_of(&by_other).1, "invalid_dpop_proof");
    let proof = client_key.proof(&format!("{ISSUER}/token"));
    let bound = p.handle(post_form(
        "/token",
        &params,
        &[("Authorization", &auth), ("DPoP", &proof)],
    ));
    assert_eq!(bound.status, 200, "{}", bound.body);
    assert_eq!(body(&bound)["token_type"], "DPoP");
    let claims = token_claims(body(&bound)["access_token"].as_str().unwrap());
    assert_eq!(claims["cnf"]["jkt"], client_key.thumbprint());
}

#[test]
fn the_metadata_lists_the_grants_of_delegation_where_they_are_usable() {
    let grants = |p: &MemoryPlatform| {
        body(&p.handle(get("/.well-known/oauth-authorization-server", &[])))
            ["grant_types_supported"]
            .clone()
    };
    let without = MemoryPlatform::new(settings(&[]));
    assert!(!grants(&without).to_string().contains("token-exchange"));
    assert!(!grants(&without).to_string().contains("jwt-bearer"));
    let trusted = trust(json!(null)).to_string();
    let with = platform(&[(settings::TRUSTED_ISSUERS, &trusted)]);
    let listed = grants(&with);
    assert!(listed.to_string().contains(EXCHANGE), "{listed}");
    assert!(listed.to_string().contains(JWT_BEARER), "{listed}");
}

// --- The JWT bearer grant, ID-JAG ---

fn trust(jwks_uri: Value) -> Value {
    let mut trust = json!([{
        "issuer": IDP,
        "clients": [AGENT.0],
        "resources": [MCP],
        "subject_prefix": "corp|",
        "claims": ["email"],
    }]);
    if !jwks_uri.is_null() {
        trust[0]["jwks_uri"] = jwks_uri;
    }
    trust
}

/// The ID-JAGs a test identity provider signs.
trait IdJags {
    /// An ID-JAG for `agent` at this issuer, `edit`ed.
    fn id_jag(&self, jti: &str, typ: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String;
}

impl IdJags for ProviderKeys {
    fn id_jag(&self, jti: &str, typ: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut custom = Map::from_iter([
            ("client_id".into(), json!(AGENT.0)),
            ("resource".into(), json!(MCP)),
            ("scope".into(), json!("files:read")),
            ("email".into(), json!("alice@corp.example")),
        ]);
        edit(&mut custom);
        let aud = custom
            .remove("aud")
            .and_then(|a| a.as_str().map(str::to_owned))
            .unwrap_or(ISSUER.into());
        let claims = JWTClaims {
            issued_at: Some(UnixTimeStamp::from_secs(T0)),
            expires_at: Some(UnixTimeStamp::from_secs(T0 + 300)),
            invalid_before: None,
            issuer: Some(IDP.into()),
            subject: Some("00u-alice".into()),
            audiences: Some(Audiences::AsString(aud)),
            jwt_id: Some(jti.into()),
            nonce: None,
            custom,
        };
        self.sign(claims, typ)
    }
}

fn present(p: &MemoryPlatform, assertion: &str, client: (&str, &str)) -> Reply {
    let params = [("grant_type", JWT_BEARER), ("assertion", assertion)];
    let auth = basic(client.0, client.1);
    p.handle(post_form("/token", &params, &[("Authorization", &auth)]))
}

#[test]
fn an_id_jag_from_a_discovered_provider_is_exchanged_once() {
    let idp = ProviderKeys::new();
    let trusted = trust(json!(null)).to_string();
    let p = platform(&[(settings::TRUSTED_ISSUERS, &trusted)]);
    let jwks_uri = format!("{IDP}/keys");
    serve(
        &p,
        &format!("{IDP}/.well-known/openid-configuration"),
        200,
        json!({"issuer": IDP, "jwks_uri": jwks_uri}),
        None,
    );
    serve(&p, &jwks_uri, 200, idp.public_jwks(), None);
    let assertion = idp.id_jag("jag-1", "oauth-id-jag+jwt", |_| {});
    let reply = present(&p, &assertion, AGENT);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = body(&reply);
    assert!(answer.get("refresh_token").is_none());
    let claims = token_claims(answer["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "corp|00u-alice");
    assert_eq!(claims["aud"], MCP);
    assert_eq!(claims["client_id"], AGENT.0);
    assert_eq!(claims["scope"], "files:read");
    assert_eq!(claims["email"], "alice@corp.example");
    // Its jti once, exactly.
    let again = present(&p, &assertion, AGENT);
    assert_eq!(
        error_of(&again),
        (
            400,
            "invalid_grant".into(),
            Some("ERR_ASSERTION_GRANT_INVALID".into())
        )
    );
    assert!(again.body.contains("used before"), "{}", again.body);
    assert!(p
        .events()
        .iter()
        .any(|e| e["event"] == "assertion_grant_refused"));
}

#[test]
fn an_id_jag_is_refused_unless_it_is_for_this_issuer_and_this_client_from_a_trusted_one() {
    let idp = ProviderKeys::new();
    let jwks_uri = format!("{IDP}/jwks.json");
    let trusted = trust(json!(jwks_uri)).to_string();
    let p = platform(&[(settings::TRUSTED_ISSUERS, &trusted)]);
    serve(&p, &jwks_uri, 200, idp.public_jwks(), None);
    let refused = |assertion: String, client: (&str, &str)| {
        let reply = present(&p, &assertion, client);
        assert_eq!(reply.status, 400, "{}", reply.body);
        let answer = body(&reply);
        answer["error_description"].as_str().unwrap().to_owned()
    };
    let why = refused(idp.id_jag("a", "JWT", |_| {}), AGENT);
    assert!(why.contains("typ"), "{why}");
    let why = refused(
        idp.id_jag("b", "oauth-id-jag+jwt", |c| {
            c.insert("aud".into(), json!("https://other-as.example"));
        }),
        AGENT,
    );
    assert!(why.contains("aud"), "{why}");
    let why = refused(
        ProviderKeys::new().id_jag("c", "oauth-id-jag+jwt", |_| {}),
        AGENT,
    );
    assert!(why.contains("verify"), "{why}");
    let why = refused(
        idp.id_jag("d", "oauth-id-jag+jwt", |c| {
            c.insert("client_id".into(), json!("someone-else"));
        }),
        AGENT,
    );
    assert!(why.contains("client_id"), "{why}");
    // Another configured client may not present the agent's assertion.
    let why = refused(idp.id_jag("e", "oauth-id-jag+jwt", |_| {}), SERVICE);
    assert!(why.contains("client_id"), "{why}");
    // A client that does not authenticate gets nothing.
    let params = [
        ("grant_type", JWT_BEARER),
        ("assertion", &idp.id_jag("f", "oauth-id-jag+jwt", |_| {})),
    ];
    let anonymous = p.handle(post_form("/token", &params, &[]));
    assert_eq!(anonymous.status, 401);
    // The assertion of an issuer not trusted here.
    let good = idp.id_jag("g", "oauth-id-jag+jwt", |_| {});
    let untrusted = {
        let other = ProviderKeys::new();
        let claims = JWTClaims {
            issued_at: Some(UnixTimeStamp::from_secs(T0)),
            expires_at: Some(UnixTimeStamp::from_secs(T0 + 300)),
            invalid_before: None,
            issuer: Some("https://evil.example".into()),
            subject: Some("00u-alice".into()),
            audiences: Some(Audiences::AsString(ISSUER.into())),
            jwt_id: Some("h".into()),
            nonce: None,
            custom: Map::from_iter([("client_id".into(), json!(AGENT.0))]),
        };
        other.sign(claims, "oauth-id-jag+jwt")
    };
    let why = refused(untrusted, AGENT);
    assert!(why.contains("not trusted"), "{why}");
    // None of those used the good assertion's jti up.
    assert_eq!(present(&p, &good, AGENT).status, 200);
}

#[test]
fn the_jwt_bearer_grant_is_unsupported_without_trusted_issuers() {
    let p = platform(&[]);
    let reply = present(&p, "a.b.c", AGENT);
    assert_eq!(error_of(&reply).1, "unsupported_grant_type");
}
