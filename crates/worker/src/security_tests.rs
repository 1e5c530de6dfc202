//! The third security review's findings, each reproduced through the handlers over the
//! in-memory objects: every test here failed on the code before its fix.

use base64::Engine as _;
use futures::executor::block_on;
use serde_json::{json, Value};

use crate::flow_tests::*;
use crate::handler_tests::*;
use crate::settings;

/// A login app that may only answer authorizations, within `read`; a back end that may only
/// start sessions, within `read`; a configured flow client; the plain-string back end.
fn app_clients() -> String {
    json!({
        "backend": "0123456789abcdef-secret",
        "login-app": { "secret": "login-app-secret-0123", "scopes": ["read"], "permissions": ["authorizations"] },
        "sessions-only": { "secret": "sessions-secret-01234", "scopes": ["read"], "permissions": ["sessions"] },
        "acme-web": { "secret": "acme-web-secret-01234", "scopes": ["read", "write"], "redirect_uris": [REDIRECT], "client_name": "Acme Web" },
    })
    .to_string()
}

fn app_platform(extra: &[(&'static str, &str)]) -> MemoryPlatform {
    let clients = app_clients();
    let mut all = vec![
        (settings::LOGIN_URL, LOGIN),
        (settings::RESOURCES, r#"["https://mcp.test/mcp"]"#),
        (settings::REGISTRATION, "open"),
        (settings::CLIENTS, clients.as_str()),
    ];
    all.extend_from_slice(extra);
    MemoryPlatform::new(settings(&all))
}

const LOGIN_APP: (&str, &str) = ("login-app", "login-app-secret-0123");
const SESSIONS_ONLY: (&str, &str) = ("sessions-only", "sessions-secret-01234");

/// `/authorize` with `query` (the default request's parameters, `scope` replaced): the
/// challenge the login page is given.
fn challenge_for(p: &MemoryPlatform, client_id: &str, scope: Option<&str>) -> String {
    let mut url = authorize_url(client_id, &[("scope", "")]);
    if let Some(scope) = scope {
        url.push_str(&format!("&scope={}", urlencode(scope)));
    }
    let to_login = location(&p.handle(get(&url, &[])));
    param(&to_login, "login_challenge").unwrap()
}

fn accept(
    p: &MemoryPlatform,
    challenge: &str,
    answer: Value,
    who: &str,
) -> crate::api::reply::Reply {
    p.handle(post_json(
        &format!("/authorizations/{challenge}/accept"),
        &answer,
        &[("Authorization", who)],
    ))
}

/// The tokens a code answered by `accepted` yields to `client_id`.
fn tokens(p: &MemoryPlatform, client_id: &str, accepted: &crate::api::reply::Reply) -> Value {
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let to = body(accepted)["redirect_to"].as_str().unwrap().to_owned();
    let code = param(&to, "code").unwrap();
    let reply = exchange(p, client_id, &code, &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    body(&reply)
}

// 1. An empty scope grants no scope ---------------------------------------------------------

#[test]
fn an_empty_scope_at_accept_grants_no_scope() {
    let p = app_platform(&[]);
    let client_id = public_client(&p);
    let challenge = challenge_for(&p, &client_id, Some("read write admin"));
    // The user unticked every box.
    let accepted = accept(
        &p,
        &challenge,
        json!({"sub": "alice", "scope": ""}),
        BACKEND,
    );
    let pair = tokens(&p, &client_id, &accepted);
    assert_eq!(pair.get("scope"), None, "{pair}");
    let claims = token_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(claims.get("scope"), None, "{claims}");
}

#[test]
fn an_empty_scope_at_authorize_asks_for_no_scope() {
    let p = app_platform(&[]);
    let challenge = challenge_for(&p, "acme-web", Some(""));
    let view = body(&p.handle(get(
        &format!("/authorizations/{challenge}"),
        &[("Authorization", BACKEND)],
    )));
    assert_eq!(view["scope"], Value::Null, "{view}");
}

#[test]
fn a_blank_scope_at_sessions_starts_a_session_with_no_scope() {
    let p = app_platform(&[]);
    let reply = p.handle(post_json(
        "/sessions",
        &json!({"sub": "bob", "scope": " "}),
        &[("Authorization", &basic(SESSIONS_ONLY.0, SESSIONS_ONLY.1))],
    ));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let claims = token_claims(body(&reply)["access_token"].as_str().unwrap());
    assert_eq!(claims.get("scope"), None, "{claims}");
}

// 2. Answering authorizations is a permission of its own ------------------------------------

#[test]
fn a_sessions_client_can_neither_read_nor_answer_authorizations() {
    let p = app_platform(&[]);
    let client_id = public_client(&p);
    let challenge = challenge_for(&p, &client_id, Some("admin"));
    let sessions_only = basic(SESSIONS_ONLY.0, SESSIONS_ONLY.1);
    let path = format!("/authorizations/{challenge}");
    let read = p.handle(get(&path, &[("Authorization", &sessions_only)]));
    assert_eq!(error_of(&read).0, 403, "{}", read.body);
    let why = body(&read)["error_description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(why.contains("\"authorizations\" permission"), "{why}");
    let accepted = accept(&p, &challenge, json!({"sub": "victim"}), &sessions_only);
    assert_eq!(error_of(&accepted).0, 403);
    let rejected = p.handle(post_json(
        &format!("{path}/reject"),
        &json!({}),
        &[("Authorization", &sessions_only)],
    ));
    assert_eq!(error_of(&rejected).0, 403);
    // Still pending: the login app answers it.
    let view = p.handle(get(&path, &[("Authorization", BACKEND)]));
    assert_eq!(view.status, 200);
}

#[test]
fn a_login_app_grants_only_scopes_within_its_own() {
    let p = app_platform(&[]);
    let client_id = public_client(&p);
    let app = basic(LOGIN_APP.0, LOGIN_APP.1);
    let challenge = challenge_for(&p, &client_id, Some("read admin"));
    let view = p.handle(get(
        &format!("/authorizations/{challenge}"),
        &[("Authorization", &app)],
    ));
    assert_eq!(view.status, 200, "{}", view.body);
    // All of what was asked is more than the app may grant.
    let refused = accept(&p, &challenge, json!({"sub": "alice"}), &app);
    assert_eq!(error_of(&refused).1, "invalid_scope", "{}", refused.body);
    let refused = accept(
        &p,
        &challenge,
        json!({"sub": "alice", "scope": "admin"}),
        &app,
    );
    assert_eq!(error_of(&refused).1, "invalid_scope");
    // Refusals answered nothing: `read` is granted.
    let accepted = accept(
        &p,
        &challenge,
        json!({"sub": "alice", "scope": "read"}),
        &app,
    );
    let pair = tokens(&p, &client_id, &accepted);
    assert_eq!(pair["scope"], "read");
}

// 3. The demo's consent page mints only demo tokens -----------------------------------------

#[test]
fn a_challenge_the_demo_answers_yields_only_demo_tokens() {
    let p = MemoryPlatform::new(settings(&[
        (settings::DEMO_LOGIN, "true"),
        (settings::REGISTRATION, "open"),
        (settings::RESOURCES, r#"["https://mcp.test/mcp"]"#),
    ]));
    let client_id = public_client(&p);
    let to_login = location(&p.handle(get(&authorize_url(&client_id, &[("scope", "admin")]), &[])));
    let challenge = param(&to_login, "login_challenge").unwrap();
    let accepted = p.handle(post_json(
        &format!("/demo/authorizations/{challenge}/accept"),
        &json!({"name": "mallory"}),
        &[],
    ));
    let pair = tokens(&p, &client_id, &accepted);
    let claims = token_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "http://127.0.0.1:8787/demo", "{claims}");
    assert_eq!(claims["scope"], "demo");
    // The real resource's verifier refuses it.
    let widened = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", pair["refresh_token"].as_str().unwrap()),
            ("resource", MCP),
        ],
        &[],
    ));
    assert_eq!(error_of(&widened).1, "invalid_target", "{}", widened.body);
}

#[test]
fn the_demos_handoff_routes_are_gone_when_an_app_logs_users_in() {
    let p = MemoryPlatform::new(settings(&[
        (settings::DEMO_LOGIN, "true"),
        (settings::LOGIN_URL, LOGIN),
        (settings::REGISTRATION, "open"),
    ]));
    let client_id = public_client(&p);
    let to_login = location(&p.handle(get(&authorize_url(&client_id, &[("resource", "")]), &[])));
    assert!(to_login.starts_with(LOGIN), "{to_login}");
    let challenge = param(&to_login, "login_challenge").unwrap();
    let path = format!("/demo/authorizations/{challenge}");
    assert_eq!(p.handle(get(&path, &[])).status, 404);
    let accepted = p.handle(post_json(
        &format!("{path}/accept"),
        &json!({"name": "m"}),
        &[],
    ));
    assert_eq!(accepted.status, 404);
    let rejected = p.handle(post_json(&format!("{path}/reject"), &json!({}), &[]));
    assert_eq!(rejected.status, 404);
    // The demo's own login still works: its tokens were always the demo's.
    let login = p.handle(post_json("/demo/login", &json!({"name": "m"}), &[]));
    assert_eq!(login.status, 201);
}

// 10. Introspection refuses a revoked signing key's tokens ----------------------------------

/// An issuer with managed keys whose isolate read the key ring once: its settings keep that
/// copy, as another isolate's would for up to a minute after a revoke.
fn managed_platform() -> MemoryPlatform {
    use crate::calls::{KeyCall, Ring};
    use crate::objects::keys;
    use crate::settings::keys::{ManagedKeys, KEY_ROTATION, KEY_WRAP};
    use crate::settings::{load_policy, Settings};
    use edge_jwt_core::keyring::KeyRing;
    use edge_jwt_core::testing::{FixedClock, MemoryStore};
    use edge_jwt_core::Store;

    let mut map = settings::tests::dev_settings();
    let wrap = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]);
    map.insert(KEY_ROTATION, "30d".to_owned());
    map.insert(KEY_WRAP, wrap);
    let lookup = |name: &str| map.get(name).cloned();
    let policy = load_policy(&lookup).unwrap();
    let managed = ManagedKeys::load(&lookup, &policy).unwrap().unwrap();
    let store = MemoryStore::new(FixedClock::at(T0));
    let ring = block_on(keys::answer(KeyCall::Ring(Ring {}), &store, &managed, T0)).unwrap();
    let ring: KeyRing = serde_json::from_value(ring).unwrap();
    let settings = Settings::load_with(lookup, Some((&ring, T0))).unwrap();
    let p = MemoryPlatform::new(std::rc::Rc::new(settings));
    // The key object holds the ring this isolate read.
    let text = block_on(store.get("ring")).unwrap().unwrap();
    block_on(p.storage("keys").put("ring", &text, T0 + 86_400)).unwrap();
    p
}

#[test]
fn introspection_answers_inactive_for_the_tokens_of_a_revoked_signing_key() {
    let p = managed_platform();
    let pair = start_session(&p, "alice", json!({}));
    let access = pair["access_token"].as_str().unwrap();
    let refresh_token = pair["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&p, access)["active"], true);
    assert_eq!(introspect(&p, refresh_token)["active"], true);
    let header = access.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    let kid = header["kid"].as_str().unwrap();
    // Revoked through the key object; this isolate's copy of the ring still trusts the key.
    let revoked = p.handle(post_form(
        &format!("/keys/{kid}/revoke"),
        &[],
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(introspect(&p, access)["active"], false);
    assert_eq!(introspect(&p, refresh_token)["active"], false);
    assert_eq!(
        error_of(&refresh(&p, refresh_token, &[])).2.as_deref(),
        Some("ERR_JWT_REVOKED")
    );
}

// 9. A wrong wrap secret moves nothing ------------------------------------------------------

#[test]
fn a_wrong_wrap_secret_reads_the_ring_as_stored_and_writes_nothing() {
    use crate::calls::{KeyCall, Ring, Step};
    use crate::objects::keys;
    use crate::settings::keys::{ManagedKeys, KEY_PUBLISH_AHEAD, KEY_ROTATION, KEY_WRAP};
    use edge_jwt_core::keyring::KeyRing;
    use edge_jwt_core::testing::{FixedClock, MemoryStore};
    use edge_jwt_core::Store;

    let policy = edge_jwt_core::Policy::new("https://issuer.test", "https://api.test");
    let managed = |byte: u8| {
        let wrap = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([byte; 32]);
        let lookup = |name: &str| match name {
            KEY_ROTATION => Some("8s".to_owned()),
            KEY_PUBLISH_AHEAD => Some("2s".to_owned()),
            KEY_WRAP => Some(wrap.clone()),
            _ => None,
        };
        ManagedKeys::load(&lookup, &policy).unwrap().unwrap()
    };
    let (right, wrong) = (managed(7), managed(8));
    let t0 = 1_800_000_000;
    let store = MemoryStore::new(FixedClock::at(t0));
    let read = |managed: &ManagedKeys, now: u64| -> Result<KeyRing, String> {
        let answer = block_on(keys::answer(KeyCall::Ring(Ring {}), &store, managed, now));
        answer
            .map(|value| serde_json::from_value(value).unwrap())
            .map_err(|e| e.message)
    };
    let ring = read(&right, t0).unwrap();
    assert!(ring.current().is_some());
    // Later, with a step due and another secret: the ring as stored, nothing made.
    let due = t0 + 60;
    assert_eq!(read(&wrong, due).unwrap(), ring);
    let cron = block_on(keys::answer(KeyCall::Step(Step {}), &store, &wrong, due));
    // Refused (the object's log says why: the core's error names EDGE_JWT_KEY_WRAP).
    assert_eq!(cron.unwrap_err().code, "ERR_INTERNAL");
    let stored: KeyRing =
        serde_json::from_str(&block_on(store.get("ring")).unwrap().unwrap()).unwrap();
    assert_eq!(stored, ring, "nothing was written under the wrong secret");
    // The right secret opens it and moves it on.
    assert!(stored.key_set(&right.wrap).is_ok());
    assert_ne!(read(&right, due).unwrap(), ring);
}

// 7. A confidential code-flow client refreshes with its credentials -------------------------

#[test]
fn a_confidential_clients_refresh_token_refreshes_only_with_its_secret() {
    let p = app_platform(&[]);
    let client = register(&p, json!({"redirect_uris": ["http://127.0.0.1/callback"]}));
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    let code = code_for(&p, id, &[("resource", "")]);
    let own = basic(id, secret);
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let pair = body(&p.handle(post_form("/token", &params, &[("Authorization", &own)])));
    let rt = pair["refresh_token"].as_str().unwrap();
    // Without its credentials (or naming itself only): refused, and nothing is used up.
    for headers in [vec![], vec![("Authorization", "Basic Og==")]] {
        let refused = refresh(&p, rt, &headers);
        assert_eq!(error_of(&refused).0, 401, "{}", refused.body);
        assert_eq!(error_of(&refused).1, "invalid_client");
    }
    let named = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", id),
        ],
        &[],
    ));
    assert_eq!(
        error_of(&named).2.as_deref(),
        Some("ERR_CLIENT_AUTHENTICATION_REQUIRED"),
        "{}",
        named.body
    );
    let refreshed = refresh(&p, rt, &[("Authorization", &own)]);
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    // The browser-session rule is unchanged: a session a back end started refreshes with its
    // refresh token alone.
    let started = start_session(&p, "alice", json!({}));
    let rt = started["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&p, rt, &[]).status, 200);
}

// 8. Errors before consent are redirected only to configured clients ------------------------

#[test]
fn a_registered_clients_errors_get_an_error_page_and_a_configured_clients_go_back() {
    let p = app_platform(&[]);
    let evil = register(
        &p,
        json!({"redirect_uris": ["https://evil.example/landing"], "token_endpoint_auth_method": "none"}),
    );
    let url = authorize_url(
        evil["client_id"].as_str().unwrap(),
        &[
            ("redirect_uri", "https://evil.example/landing"),
            ("response_type", "token"),
        ],
    );
    let reply = p.handle(get(&url, &[]));
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.header("Location").is_none(), "no open redirect");
    assert_eq!(error_of(&reply).1, "unsupported_response_type");
    // The operator's own client is trusted with its errors (RFC 6749 §4.1.2.1).
    let url = authorize_url("acme-web", &[("response_type", "token"), ("resource", "")]);
    let to = location(&p.handle(get(&url, &[])));
    assert!(to.starts_with(REDIRECT), "{to}");
    assert_eq!(
        param(&to, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(param(&to, "state").as_deref(), Some("st"));
}

// 6. The login app knows where a client comes from ------------------------------------------

#[test]
fn the_login_app_is_told_whether_a_client_is_configured_registered_or_a_document() {
    let p = app_platform(&[(settings::CLIENT_METADATA_DOCUMENTS, "on")]);
    // A client registering as the configured one's name.
    let impostor = register(
        &p,
        json!({"redirect_uris": ["http://127.0.0.1/callback"], "client_name": "Acme Web", "token_endpoint_auth_method": "none"}),
    );
    serve(&p, DOCUMENT, 200, document(DOCUMENT), None);
    let view = |client_id: &str| {
        let challenge = challenge_for(&p, client_id, None);
        body(&p.handle(get(
            &format!("/authorizations/{challenge}"),
            &[("Authorization", BACKEND)],
        )))
    };
    let configured = view("acme-web");
    assert_eq!(
        (
            configured["client_name"].as_str(),
            configured["client_kind"].as_str()
        ),
        (Some("Acme Web"), Some("configured"))
    );
    let registered = view(impostor["client_id"].as_str().unwrap());
    assert_eq!(
        (
            registered["client_name"].as_str(),
            registered["client_kind"].as_str()
        ),
        (Some("Acme Web"), Some("registered"))
    );
    assert_eq!(registered.get("client_host"), None);
    let documented = view(DOCUMENT);
    assert_eq!(
        (
            documented["client_kind"].as_str(),
            documented["client_host"].as_str()
        ),
        (Some("document"), Some("app.test"))
    );
}

#[test]
fn registration_refuses_names_with_control_invisible_or_bidirectional_characters() {
    let p = app_platform(&[]);
    for name in [
        "Acme\u{202E}beW",
        "Acme\u{200B}Web",
        "Acme\nWeb",
        "Acme\u{2067}Web",
    ] {
        let reply = p.handle(post_json(
            "/register",
            &json!({"redirect_uris": ["http://127.0.0.1/callback"], "client_name": name}),
            &[],
        ));
        assert_eq!(
            error_of(&reply).1,
            "invalid_client_metadata",
            "{name:?}: {}",
            reply.body
        );
    }
    register(
        &p,
        json!({"redirect_uris": ["http://127.0.0.1/callback"], "client_name": "Acmé Wëb 🙂"}),
    );
}

#[test]
fn the_operator_bounds_the_scopes_a_client_it_did_not_configure_may_ask_for() {
    let p = app_platform(&[(settings::REGISTERED_SCOPES, "mcp:tools read")]);
    let client_id = public_client(&p);
    let refused = p.handle(get(
        &authorize_url(&client_id, &[("scope", "mcp:tools admin")]),
        &[],
    ));
    assert_eq!(error_of(&refused).1, "invalid_scope", "{}", refused.body);
    // What a client registered is no bound of the operator's: it may step up within the
    // operator's bound (an MCP client registers with the first scope it is told), never beyond.
    let narrow = register(
        &p,
        json!({"redirect_uris": ["http://127.0.0.1/callback"], "token_endpoint_auth_method": "none", "scope": "mcp:tools"}),
    );
    let narrow = narrow["client_id"].as_str().unwrap();
    let refused = p.handle(get(&authorize_url(narrow, &[("scope", "admin")]), &[]));
    assert_eq!(error_of(&refused).1, "invalid_scope");
    let stepped_up = p.handle(get(
        &authorize_url(narrow, &[("scope", "mcp:tools read")]),
        &[],
    ));
    assert_eq!(stepped_up.status, 302, "{}", stepped_up.body);
    let code = code_for(&p, &client_id, &[("resource", "")]);
    assert_eq!(exchange(&p, &client_id, &code, &[]).status, 200);
    // A configured client is the operator's own: its `scopes` alone bound it.
    let challenge = challenge_for(&p, "acme-web", Some("write"));
    let view = body(&p.handle(get(
        &format!("/authorizations/{challenge}"),
        &[("Authorization", BACKEND)],
    )));
    assert_eq!(view["scope"], "write");
}

// 4. Document URLs are fetched exactly as checked -------------------------------------------

#[test]
fn a_document_url_that_is_not_its_own_canonical_form_is_never_fetched() {
    let p = app_platform(&[(settings::CLIENT_METADATA_DOCUMENTS, "on")]);
    let victim = "https://app.test/clients/victim/client.json";
    serve(&p, victim, 200, document(victim), None);
    for url in [
        "https://app.test/clients/victim/%2e%2e/%2e%2e/attacker.json",
        "https://app.test/clients\\victim\\..\\..\\attacker.json",
        "https://app.test/clients/victim/.\t./attacker.json",
        "https://APP.test/clients/victim/client.json",
        "https://app.test:443/clients/victim/client.json",
    ] {
        let reply = p.handle(get(&authorize_url(url, &[("resource", "")]), &[]));
        assert_eq!(reply.status, 400, "{url}: {}", reply.body);
        assert!(reply.header("Location").is_none());
    }
    assert_eq!(p.fetches.get(), 0, "nothing was fetched");
    // The canonical URL is.
    challenge_for(&p, victim, None);
    assert_eq!(p.fetches.get(), 1);
}

// 5. Documents only from public host names, and one answer whatever went wrong --------------

#[test]
fn documents_are_fetched_only_from_public_host_names() {
    let p = MemoryPlatform::new(settings(&[
        (settings::ISSUER, "https://auth.test"),
        (settings::LOGIN_URL, LOGIN),
        (settings::CLIENT_METADATA_DOCUMENTS, "on"),
    ]));
    for url in [
        "https://127.0.0.1/c.json",
        "https://2130706433/c.json",
        "https://[::1]/c.json",
        "https://localhost/c.json",
        "https://intranet/c.json",
        "https://app.test:8443/c.json",
        "https://auth.test/c.json",
    ] {
        serve(&p, url, 200, document(url), None);
        let reply = p.handle(get(&authorize_url(url, &[("resource", "")]), &[]));
        assert_eq!(error_of(&reply).0, 400, "{url}: {}", reply.body);
    }
    assert_eq!(p.fetches.get(), 0, "nothing was fetched");
}

#[test]
fn whatever_went_wrong_with_a_document_the_caller_gets_one_answer_and_the_log_the_reason() {
    let p = app_platform(&[(settings::CLIENT_METADATA_DOCUMENTS, "on")]);
    let cases = [
        ("https://app.test/down.json", 503, json!({})),
        ("https://app.test/moved.json", 302, json!({})),
        (
            "https://app.test/other.json",
            200,
            document("https://app.test/else.json"),
        ),
        ("https://app.test/missing.json", 404, json!({})),
    ];
    let mut answers = Vec::new();
    for (url, status, body_json) in cases {
        serve(&p, url, status, body_json, None);
        let reply = p.handle(get(&authorize_url(url, &[("resource", "")]), &[]));
        assert_eq!(reply.status, 400);
        let description = body(&reply)["error_description"]
            .as_str()
            .unwrap()
            .replace(url, "<url>");
        answers.push(description);
        let event = p.events().last().unwrap().clone();
        assert_eq!(event["event"], "client_document_refused");
        assert_eq!(event["client_id"], url);
        assert!(
            event["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{event}"
        );
    }
    answers.dedup();
    assert_eq!(
        answers.len(),
        1,
        "one answer, whatever answered: {answers:?}"
    );
}
