//! The authorization server for the clients as they are (issue 31), through the handlers over
//! the in-memory objects: each test here failed on the code before its change.

use serde_json::json;

use crate::flow_tests::MCP;
use crate::handler_tests::*;
use crate::settings;

/// RFC 8707 at the client credentials grant: a resource the issuer serves is the token's
/// audience, any other is `invalid_target`, and none is the default audience.
#[test]
fn a_client_credentials_token_is_for_the_resource_it_names() {
    let p = MemoryPlatform::new(settings(&[(
        settings::RESOURCES,
        &json!([MCP]).to_string(),
    )]));
    let service = basic(SERVICE.0, SERVICE.1);
    let grant = |params: &[(&str, &str)]| {
        let mut all = vec![("grant_type", "client_credentials")];
        all.extend_from_slice(params);
        p.handle(post_form("/token", &all, &[("Authorization", &service)]))
    };
    let for_mcp = grant(&[("resource", MCP)]);
    assert_eq!(for_mcp.status, 200, "{}", for_mcp.body);
    assert_eq!(
        body(&for_mcp)["resource"],
        MCP,
        "the answer says what it is for"
    );
    let claims = token_claims(body(&for_mcp)["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], MCP);
    // Introspection takes it, as every token the issuer made.
    let introspected = introspect(&p, body(&for_mcp)["access_token"].as_str().unwrap());
    assert_eq!(introspected["active"], true);
    let other = grant(&[("resource", "https://other.test/api")]);
    assert_eq!(
        error_of(&other),
        (
            400,
            "invalid_target".into(),
            Some("ERR_INVALID_TARGET".into())
        )
    );
    let default = grant(&[]);
    assert_eq!(body(&default).get("resource"), None);
    let claims = token_claims(body(&default)["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "http://127.0.0.1:8787/api");
    let named_default = grant(&[("resource", "http://127.0.0.1:8787/api")]);
    assert_eq!(named_default.status, 200);
}

/// `client_secret_post` (RFC 6749 §2.3.1): a confidential client may send its secret in the
/// body, at every grant, never together with Basic; a public client that sends a secret is
/// refused, and its code is not used up.
#[test]
fn a_confidential_client_may_post_its_secret_and_a_public_one_may_not_send_one() {
    use crate::flow_tests::{code_for, flow_platform, public_client, register, REDIRECT, VERIFIER};

    // A configured client, at the client credentials grant.
    let p = flow_platform();
    let post = |params: &[(&str, &str)], headers: &[(&str, &str)]| {
        p.handle(post_form("/token", params, headers))
    };
    let granted = post(
        &[
            ("grant_type", "client_credentials"),
            ("client_id", SERVICE.0),
            ("client_secret", SERVICE.1),
        ],
        &[],
    );
    assert_eq!(granted.status, 200, "{}", granted.body);
    let wrong = post(
        &[
            ("grant_type", "client_credentials"),
            ("client_id", SERVICE.0),
            ("client_secret", "not-its-secret-000000"),
        ],
        &[],
    );
    assert_eq!(error_of(&wrong).0, 401);
    assert_eq!(error_of(&wrong).1, "invalid_client");
    let both = post(
        &[
            ("grant_type", "client_credentials"),
            ("client_id", SERVICE.0),
            ("client_secret", SERVICE.1),
        ],
        &[("Authorization", &basic(SERVICE.0, SERVICE.1))],
    );
    assert_eq!(error_of(&both).1, "invalid_client", "one method at a time");

    // A registered confidential client that registered client_secret_post, at the code flow.
    let client = register(
        &p,
        json!({"redirect_uris": ["http://127.0.0.1/callback"], "token_endpoint_auth_method": "client_secret_post"}),
    );
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    let code = code_for(&p, id, &[("resource", "")]);
    let exchanged = post(
        &[
            ("grant_type", "authorization_code"),
            ("client_id", id),
            ("client_secret", secret),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        &[],
    );
    assert_eq!(exchanged.status, 200, "{}", exchanged.body);
    // Its refresh, confidential, with the secret in the body too.
    let rt = body(&exchanged)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refreshed = post(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", id),
            ("client_secret", secret),
        ],
        &[],
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);

    // A public client that sends a secret: refused, and its code still works without one.
    let public = public_client(&p);
    let code = code_for(&p, &public, &[("resource", "")]);
    let exchange = |extra: &[(&str, &str)]| {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("client_id", public.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        params.extend_from_slice(extra);
        post(&params, &[])
    };
    let with_secret = exchange(&[("client_secret", "anything-at-all-0000")]);
    assert_eq!(
        error_of(&with_secret).1,
        "invalid_client",
        "{}",
        with_secret.body
    );
    let as_basic = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        &[("Authorization", &basic(&public, "anything-at-all-0000"))],
    ));
    assert_eq!(error_of(&as_basic).1, "invalid_client");
    assert_eq!(exchange(&[]).status, 200, "the code was not used up");
    // The metadata's list of methods: assertion_tests.rs checks it whole.
}

/// The token answer carries the resource it was issued for (RFC 8707), at the exchange and at
/// every refresh; none when none was asked.
#[test]
fn a_code_flow_token_answer_names_its_resource() {
    use crate::flow_tests::{code_for, exchange, flow_platform, public_client};

    let p = flow_platform();
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    let pair = body(&exchange(&p, &client_id, &code, &[]));
    assert_eq!(pair["resource"], MCP, "{pair}");
    let refreshed = body(&refresh(&p, pair["refresh_token"].as_str().unwrap(), &[]));
    assert_eq!(refreshed["resource"], MCP, "{refreshed}");
    let code = code_for(&p, &client_id, &[("resource", "")]);
    let pair = body(&exchange(&p, &client_id, &code, &[]));
    assert_eq!(pair.get("resource"), None, "{pair}");
}

/// A client may narrow its scope at the exchange, never widen it; the answer's `scope` says
/// what it got, and a refused exchange uses nothing up.
#[test]
fn a_client_may_narrow_its_scope_at_the_exchange() {
    use crate::flow_tests::{code_for, exchange, flow_platform, public_client};

    let p = flow_platform();
    let client_id = public_client(&p);
    // Asked and granted: `mcp:tools mcp:prompts`.
    let code = code_for(&p, &client_id, &[("scope", "mcp:tools mcp:prompts")]);
    let wider = exchange(&p, &client_id, &code, &[("scope", "mcp:tools admin")]);
    assert_eq!(error_of(&wider).1, "invalid_scope", "{}", wider.body);
    let narrowed = body(&exchange(
        &p,
        &client_id,
        &code,
        &[("scope", "mcp:prompts")],
    ));
    assert_eq!(narrowed["scope"], "mcp:prompts", "{narrowed}");
    let claims = token_claims(narrowed["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "mcp:prompts");
    // Its refreshes keep what the exchange got.
    let refreshed = body(&refresh(
        &p,
        narrowed["refresh_token"].as_str().unwrap(),
        &[],
    ));
    assert_eq!(refreshed["scope"], "mcp:prompts");
}

/// RFC 6749 §6 at `/token`: a refresh may narrow the scope of its access token, never widen it
/// (`invalid_scope`, the refresh token not used up); the answer says what it got.
#[test]
fn a_client_may_narrow_its_scope_at_a_refresh() {
    use crate::flow_tests::{code_for, exchange, flow_platform, public_client};

    let p = flow_platform();
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[("scope", "mcp:tools mcp:prompts")]);
    let pair = body(&exchange(&p, &client_id, &code, &[]));
    let rt = pair["refresh_token"].as_str().unwrap();
    let with_scope = |scope: &str| {
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("scope", scope),
        ];
        p.handle(post_form("/token", &params, &[]))
    };
    let wider = with_scope("mcp:tools admin");
    assert_eq!(error_of(&wider).1, "invalid_scope", "{}", wider.body);
    let narrowed = with_scope("mcp:tools");
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);
    assert_eq!(body(&narrowed)["scope"], "mcp:tools");
    let claims = token_claims(body(&narrowed)["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "mcp:tools");
    let next = refresh(&p, body(&narrowed)["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(body(&next)["scope"], "mcp:tools mcp:prompts");
}

/// Several processes of one client share a stored refresh token: one that is behind presents
/// a token another rotated. Within the code flow's replay window it gets the session's current
/// pair (a `refresh_replayed` event, nothing minted); after the window, reuse ends the session.
/// `EDGE_JWT_FLOW_REPLAY_WINDOW=0` keeps the strict rule.
#[test]
fn a_code_flow_session_answers_a_process_that_is_behind_within_its_replay_window() {
    use crate::flow_tests::{code_for, exchange, flow_platform, public_client};

    let p = flow_platform();
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    let first = body(&exchange(&p, &client_id, &code, &[]));
    let first_rt = first["refresh_token"].as_str().unwrap();
    let a = body(&refresh(&p, first_rt, &[]));
    p.clock.advance(600);
    let b = refresh(&p, first_rt, &[]);
    assert_eq!(b.status, 200, "{}", b.body);
    assert_eq!(body(&b)["refresh_token"], a["refresh_token"]);
    assert_eq!(p.events().last().unwrap()["event"], "refresh_replayed");
    assert_eq!(p.events().last().unwrap()["client_id"], client_id.as_str());
    // After the window (30 minutes by default), the superseded token is reuse.
    p.clock.advance(1800);
    let late = refresh(&p, first_rt, &[]);
    assert_eq!(error_of(&late).1, "invalid_grant", "{}", late.body);
    assert_eq!(p.events().last().unwrap()["event"], "refresh_token_reused");
    let current = refresh(&p, a["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(error_of(&current).1, "invalid_grant", "the session ended");

    // A window of 0: strict, as sessions a back end starts are.
    let p = MemoryPlatform::new(settings(&[
        (settings::FLOW_REPLAY_WINDOW, "0"),
        (settings::LOGIN_URL, crate::flow_tests::LOGIN),
        (settings::RESOURCES, &json!([MCP]).to_string()),
        (settings::REGISTRATION, "open"),
    ]));
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    let first = body(&exchange(&p, &client_id, &code, &[]));
    let first_rt = first["refresh_token"].as_str().unwrap();
    refresh(&p, first_rt, &[]);
    p.clock.advance(11);
    assert_eq!(error_of(&refresh(&p, first_rt, &[])).1, "invalid_grant");
}

/// RFC 7009 §2.1 at `/revoke`: a confidential client authenticates (Basic or the body) and
/// revokes only its own tokens; a public client may name itself and likewise; a confidential
/// client's refresh token is not revoked without its credentials. With no client at all, the
/// holder of a token may still revoke it (the browser's logout of a back end's session).
#[test]
fn revoke_authenticates_a_client_that_sends_credentials_and_holds_it_to_its_own_tokens() {
    use crate::flow_tests::{code_for, flow_platform, public_client, register, REDIRECT, VERIFIER};

    let p = flow_platform();
    let revoke = |params: &[(&str, &str)], headers: &[(&str, &str)]| {
        p.handle(post_form("/revoke", params, headers))
    };
    // A registered confidential client's session.
    let client = register(&p, json!({"redirect_uris": [REDIRECT]}));
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    let code = code_for(&p, id, &[("resource", "")]);
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let pair = body(&p.handle(post_form(
        "/token",
        &exchange,
        &[("Authorization", &basic(id, secret))],
    )));
    let rt = pair["refresh_token"].as_str().unwrap();
    let at = pair["access_token"].as_str().unwrap();

    let anonymous = revoke(&[("token", rt)], &[]);
    assert_eq!(error_of(&anonymous).0, 401, "{}", anonymous.body);
    assert_eq!(
        error_of(&anonymous).2.as_deref(),
        Some("ERR_CLIENT_AUTHENTICATION_REQUIRED")
    );
    let wrong = revoke(
        &[("token", rt)],
        &[("Authorization", &basic(id, "wrong-secret-00000"))],
    );
    assert_eq!(error_of(&wrong).1, "invalid_client");
    let other = register(&p, json!({"redirect_uris": [REDIRECT]}));
    let other_auth = basic(
        other["client_id"].as_str().unwrap(),
        other["client_secret"].as_str().unwrap(),
    );
    let not_its_own = revoke(&[("token", rt)], &[("Authorization", &other_auth)]);
    assert_eq!(
        error_of(&not_its_own),
        (
            400,
            "invalid_grant".into(),
            Some("ERR_CLIENT_MISMATCH".into())
        )
    );
    let not_its_own = revoke(&[("token", at)], &[("Authorization", &other_auth)]);
    assert_eq!(
        error_of(&not_its_own).2.as_deref(),
        Some("ERR_CLIENT_MISMATCH")
    );
    assert_eq!(introspect(&p, rt)["active"], true, "nothing was revoked");
    // A confidential client naming itself without its secret is not authenticated.
    let named = revoke(&[("token", rt), ("client_id", id)], &[]);
    assert_eq!(error_of(&named).1, "invalid_client");
    // With its credentials, in the body: revoked.
    let own = revoke(
        &[("token", rt), ("client_id", id), ("client_secret", secret)],
        &[],
    );
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(introspect(&p, rt)["active"], false);
    // An unknown token is fine for an authenticated client, as for anyone.
    let unknown = revoke(
        &[("token", "not-a-token")],
        &[("Authorization", &basic(id, secret))],
    );
    assert_eq!(unknown.status, 200);

    // A public client names itself: its own token, not another public client's.
    let public = public_client(&p);
    let code = code_for(&p, &public, &[("resource", "")]);
    let pair = body(&crate::flow_tests::exchange(&p, &public, &code, &[]));
    let rt = pair["refresh_token"].as_str().unwrap();
    let stranger = public_client(&p);
    let as_stranger = revoke(&[("token", rt), ("client_id", &stranger)], &[]);
    assert_eq!(
        error_of(&as_stranger).2.as_deref(),
        Some("ERR_CLIENT_MISMATCH")
    );
    assert_eq!(
        revoke(&[("token", rt), ("client_id", &public)], &[]).status,
        200
    );
    assert_eq!(introspect(&p, rt)["active"], false);
}

/// `EDGE_JWT_SCOPES`: published as `scopes_supported` with `offline_access`, the bound of every
/// code-flow request; `offline_access` (a refresh token, which the flow always issues) is granted
/// to a client that asks for it, even one registered with a narrower `scope`.
#[test]
fn the_issuers_scopes_are_published_with_offline_access_and_bound_every_request() {
    use crate::flow_tests::{authorize_url, code_for, exchange, public_client, register, LOGIN};

    let p = MemoryPlatform::new(settings(&[
        (settings::SCOPES, "mcp:tools mcp:admin"),
        (settings::LOGIN_URL, LOGIN),
        (settings::RESOURCES, &json!([MCP]).to_string()),
        (settings::REGISTRATION, "open"),
    ]));
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(
        metadata["scopes_supported"],
        json!(["mcp:tools", "mcp:admin", "offline_access"])
    );
    let client_id = public_client(&p);
    let refused = p.handle(get(
        &authorize_url(&client_id, &[("scope", "mcp:tools files:read")]),
        &[],
    ));
    assert_eq!(error_of(&refused).1, "invalid_scope", "{}", refused.body);
    let narrow = register(
        &p,
        json!({"redirect_uris": [crate::flow_tests::REDIRECT], "token_endpoint_auth_method": "none", "scope": "mcp:tools"}),
    );
    let narrow = narrow["client_id"].as_str().unwrap();
    let code = code_for(&p, narrow, &[("scope", "mcp:tools offline_access")]);
    let pair = body(&exchange(&p, narrow, &code, &[]));
    assert_eq!(pair["scope"], "mcp:tools offline_access", "{pair}");
    assert!(pair["refresh_token"].is_string());

    // Unset: no scopes_supported, and any scope.
    let p = crate::flow_tests::flow_platform();
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(metadata.get("scopes_supported"), None);
}

/// RFC 9449 §5.2 as the MCP profile proposes it: a client registered with
/// `dpop_bound_access_tokens: true` gets bound tokens only; an exchange without a proof is
/// refused and uses nothing up.
#[test]
fn a_client_registered_for_bound_tokens_gets_only_bound_tokens() {
    use crate::flow_tests::{code_for, exchange, flow_platform, register, REDIRECT};

    let p = flow_platform();
    let client = register(
        &p,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "dpop_bound_access_tokens": true}),
    );
    assert_eq!(client["dpop_bound_access_tokens"], true, "{client}");
    let id = client["client_id"].as_str().unwrap();
    let code = code_for(&p, id, &[("resource", "")]);
    let bare = exchange(&p, id, &code, &[]);
    assert_eq!(
        error_of(&bare),
        (
            400,
            "invalid_dpop_proof".into(),
            Some("ERR_DPOP_PROOF_INVALID".into())
        ),
        "{}",
        bare.body
    );
    let browser = Browser::new();
    let proof = browser.proof("http://127.0.0.1:8787/token");
    let params = [
        ("grant_type", "authorization_code"),
        ("client_id", id),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", crate::flow_tests::VERIFIER),
    ];
    let bound = p.handle(post_form("/token", &params, &[("DPoP", &proof)]));
    assert_eq!(
        bound.status, 200,
        "the code was not used up: {}",
        bound.body
    );
    assert_eq!(body(&bound)["token_type"], "DPoP");
    let bad = p.handle(post_json(
        "/register",
        &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "dpop_bound_access_tokens": "yes"}),
        &[],
    ));
    assert_eq!(error_of(&bad).1, "invalid_client_metadata");
}

/// `EDGE_JWT_DPOP_NONCE=on` (RFC 9449 §8): a proof at `/token` without the issuer's nonce is
/// `use_dpop_nonce` with the nonce in `DPoP-Nonce`, and nothing is used up; with it, the grant
/// runs, and every answer hands out the current nonce. The window before's is still taken.
#[test]
fn with_nonces_on_a_proof_must_carry_the_issuers_nonce() {
    use crate::flow_tests::{code_for, public_client, LOGIN, REDIRECT, VERIFIER};

    let p = MemoryPlatform::new(settings(&[
        (settings::DPOP_NONCE, "on"),
        (settings::LOGIN_URL, LOGIN),
        (settings::RESOURCES, &json!([MCP]).to_string()),
        (settings::REGISTRATION, "open"),
    ]));
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[("resource", "")]);
    let browser = Browser::new();
    let url = "http://127.0.0.1:8787/token";
    let params = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let without = p.handle(post_form(
        "/token",
        &params,
        &[("DPoP", &browser.proof(url))],
    ));
    assert_eq!(
        error_of(&without),
        (
            400,
            "use_dpop_nonce".into(),
            Some("ERR_DPOP_NONCE_REQUIRED".into())
        ),
        "{}",
        without.body
    );
    let nonce = without.header("DPoP-Nonce").unwrap().to_owned();
    let wrong = p.handle(post_form(
        "/token",
        &params,
        &[(
            "DPoP",
            &browser.proof_with_nonce(url, Some("not-the-nonce"), T0),
        )],
    ));
    assert_eq!(error_of(&wrong).1, "use_dpop_nonce");
    let with = p.handle(post_form(
        "/token",
        &params,
        &[("DPoP", &browser.proof_with_nonce(url, Some(&nonce), T0))],
    ));
    assert_eq!(with.status, 200, "the code was not used up: {}", with.body);
    assert_eq!(body(&with)["token_type"], "DPoP");
    assert_eq!(with.header("DPoP-Nonce"), Some(nonce.as_str()));
    // The next window: the old nonce is still taken, and the answer hands out the new one.
    p.clock.advance(300);
    let rt = body(&with)["refresh_token"].as_str().unwrap().to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let refreshed = p.handle(post_form(
        "/token",
        &refresh,
        &[(
            "DPoP",
            &browser.proof_with_nonce(url, Some(&nonce), T0 + 300),
        )],
    ));
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_ne!(refreshed.header("DPoP-Nonce"), Some(nonce.as_str()));
    // A request without DPoP needs no nonce.
    let service = p.handle(post_form(
        "/token",
        &[("grant_type", "client_credentials")],
        &[("Authorization", &basic(SERVICE.0, SERVICE.1))],
    ));
    assert_eq!(service.status, 200, "{}", service.body);
}
