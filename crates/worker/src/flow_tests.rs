//! The authorization code flow through the handlers, over the in-memory objects: a registered
//! public client from `/authorize` to its tokens, the login handoff, and every refusal.

use serde_json::{json, Value};

use crate::handler_tests::*;
use crate::settings;

/// RFC 7636 Appendix B.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const LOGIN: &str = "https://app.test/login";
pub(crate) const MCP: &str = "https://mcp.test/mcp";
pub(crate) const REDIRECT: &str = "http://127.0.0.1:33418/callback";

pub(crate) fn flow_platform() -> MemoryPlatform {
    MemoryPlatform::new(settings(&[
        (settings::LOGIN_URL, LOGIN),
        (settings::RESOURCES, &json!([MCP]).to_string()),
        (settings::REGISTRATION, "open"),
    ]))
}

pub(crate) fn location(reply: &crate::api::reply::Reply) -> String {
    assert_eq!(reply.status, 302, "{}", reply.body);
    reply.header("Location").unwrap().to_owned()
}

/// A query parameter of a URL.
pub(crate) fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| crate::api::form::decode(v).unwrap())
    })
}

pub(crate) fn register(p: &MemoryPlatform, metadata: Value) -> Value {
    let reply = p.handle(post_json("/register", &metadata, &[]));
    assert_eq!(reply.status, 201, "{}", reply.body);
    body(&reply)
}

pub(crate) fn public_client(p: &MemoryPlatform) -> String {
    let client = register(
        p,
        json!({"redirect_uris": ["http://127.0.0.1/callback"], "client_name": "Inspector",
               "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"]}),
    );
    client["client_id"].as_str().unwrap().to_owned()
}

pub(crate) fn authorize_url(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "st"),
        ("scope", "mcp:tools"),
        ("resource", MCP),
    ];
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    format!("/authorize?{}", query.join("&"))
}

/// `/authorize`, then the app's acceptance: the code.
pub(crate) fn code_for(p: &MemoryPlatform, client_id: &str, extra: &[(&str, &str)]) -> String {
    let to_login = location(&p.handle(get(&authorize_url(client_id, extra), &[])));
    assert!(
        to_login.starts_with(&format!("{LOGIN}?login_challenge=")),
        "{to_login}"
    );
    let challenge = param(&to_login, "login_challenge").unwrap();
    let accepted = p.handle(post_json(
        &format!("/authorizations/{challenge}/accept"),
        &json!({"sub": "alice", "claims": {"plan": "pro"}}),
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let to = body(&accepted)["redirect_to"].as_str().unwrap().to_owned();
    assert!(to.starts_with(REDIRECT), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some("st"));
    assert_eq!(param(&to, "iss").as_deref(), Some("http://127.0.0.1:8787"));
    param(&to, "code").unwrap()
}

pub(crate) fn exchange(
    p: &MemoryPlatform,
    client_id: &str,
    code: &str,
    extra: &[(&str, &str)],
) -> crate::api::reply::Reply {
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    params.extend_from_slice(extra);
    p.handle(post_form("/token", &params, &[]))
}

#[test]
fn a_registered_public_client_gets_tokens_for_its_resource_and_refreshes_them() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    let reply = exchange(&p, &client_id, &code, &[("resource", MCP)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let pair = body(&reply);
    let claims = token_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(
        (claims["aud"].as_str(), claims["sub"].as_str()),
        (Some(MCP), Some("alice"))
    );
    assert_eq!(
        (claims["client_id"].as_str(), claims["scope"].as_str()),
        (Some(client_id.as_str()), Some("mcp:tools"))
    );
    assert_eq!(claims["plan"], "pro");
    // The refresh token rotates like any other, naming the resource or not.
    let rt = pair["refresh_token"].as_str().unwrap();
    let refreshed = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", &client_id),
            ("resource", MCP),
        ],
        &[],
    ));
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let rt = body(&refreshed)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wider = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("resource", "https://other.test"),
        ],
        &[],
    ));
    assert_eq!(error_of(&wider).1, "invalid_target");
    // It is one of the subject's sessions, with its client.
    let listed = body(&p.handle(get(
        "/subjects/alice/sessions",
        &[("Authorization", BACKEND)],
    )));
    assert_eq!(listed["sessions"][0]["client_id"], client_id.as_str());
    // Metadata names the flow.
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(
        metadata["authorization_endpoint"],
        "http://127.0.0.1:8787/authorize"
    );
    assert_eq!(
        metadata["registration_endpoint"],
        "http://127.0.0.1:8787/register"
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
}

#[test]
fn a_code_used_twice_revokes_the_session_the_first_use_started() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    let first = body(&exchange(&p, &client_id, &code, &[]));
    let second = exchange(&p, &client_id, &code, &[]);
    assert_eq!(
        error_of(&second),
        (
            400,
            "invalid_grant".into(),
            Some("ERR_AUTHORIZATION_CODE_REUSED".into())
        )
    );
    let event = p
        .events()
        .into_iter()
        .find(|e| e["event"] == "authorization_code_reused")
        .unwrap();
    let sid = token_claims(first["access_token"].as_str().unwrap())["sid"].clone();
    assert_eq!(event["sid"], sid);
    let rt = first["refresh_token"].as_str().unwrap();
    assert_eq!(
        error_of(&refresh(&p, rt, &[])).2.as_deref(),
        Some("ERR_JWT_REVOKED")
    );
}

#[test]
fn a_wrong_verifier_another_client_or_redirect_uri_is_invalid_grant_and_uses_nothing_up() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let other = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    for (who, extra) in [
        (other.as_str(), vec![]),
        (client_id.as_str(), vec![("resource", "https://other.test")]),
    ] {
        let reply = exchange(&p, who, &code, &extra);
        assert_eq!(reply.status, 400, "{}", reply.body);
    }
    let bad_verifier = p.handle(post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &VERIFIER.replace('d', "e")),
        ],
        &[],
    ));
    assert_eq!(error_of(&bad_verifier).1, "invalid_grant");
    let unknown_client = exchange(&p, "nobody-aaaaaaaaaaaaaaa", &code, &[]);
    assert_eq!(error_of(&unknown_client).0, 401);
    // None of them used the code up.
    assert_eq!(exchange(&p, &client_id, &code, &[]).status, 200);
}

#[test]
fn authorize_never_redirects_to_an_unregistered_uri_nor_a_registered_clients_errors() {
    let p = flow_platform();
    let client_id = public_client(&p);
    for extra in [
        vec![("redirect_uri", "https://evil.test/cb")],
        vec![("client_id", "unknown-client-aaaaaaaa")],
    ] {
        let reply = p.handle(get(&authorize_url(&client_id, &extra), &[]));
        assert_eq!(reply.status, 400, "{extra:?}: {}", reply.body);
        assert!(reply.header("Location").is_none());
    }
    for (extra, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("resource", "https://other.test")], "invalid_target"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
    ] {
        // A registered client chose its redirect URI itself: an error page, never a redirect
        // (a configured client's errors go back to it: security_tests).
        let reply = p.handle(get(&authorize_url(&client_id, &extra), &[]));
        assert_eq!(error_of(&reply).0, 400, "{extra:?}: {}", reply.body);
        assert_eq!(error_of(&reply).1, error, "{extra:?}");
        assert!(reply.header("Location").is_none());
    }
    // Off without a login page.
    let off = MemoryPlatform::new(settings(&[]));
    assert_eq!(
        off.handle(get(&authorize_url(&client_id, &[]), &[])).status,
        404
    );
}

#[test]
fn the_login_handoff_needs_the_sessions_permission_and_is_answered_once() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let to_login = location(&p.handle(get(&authorize_url(&client_id, &[]), &[])));
    let challenge = param(&to_login, "login_challenge").unwrap();
    let path = format!("/authorizations/{challenge}");
    assert_eq!(p.handle(get(&path, &[])).status, 401);
    let service = basic(SERVICE.0, SERVICE.1);
    assert_eq!(
        p.handle(get(&path, &[("Authorization", &service)])).status,
        403
    );
    let view = body(&p.handle(get(&path, &[("Authorization", BACKEND)])));
    assert_eq!(
        (view["client_name"].as_str(), view["resource"].as_str()),
        (Some("Inspector"), Some(MCP))
    );
    let rejected = p.handle(post_json(
        &format!("{path}/reject"),
        &json!({}),
        &[("Authorization", BACKEND)],
    ));
    let to = body(&rejected)["redirect_to"].as_str().unwrap().to_owned();
    assert_eq!(param(&to, "error").as_deref(), Some("access_denied"));
    // Answered: no code after a rejection, nothing to read.
    let late = p.handle(post_json(
        &format!("{path}/accept"),
        &json!({"sub": "alice"}),
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(error_of(&late).0, 404);
    assert_eq!(
        p.handle(get(&path, &[("Authorization", BACKEND)])).status,
        404
    );
}

#[test]
fn a_key_named_at_authorize_must_sign_the_exchange_and_binds_the_session() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let browser = Browser::new();
    let jkt = browser.thumbprint();
    let code = code_for(&p, &client_id, &[("dpop_jkt", &jkt)]);
    let unproven = exchange(&p, &client_id, &code, &[]);
    assert_eq!(error_of(&unproven).1, "invalid_dpop_proof");
    let proof = browser.proof("http://127.0.0.1:8787/token");
    let params = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let bound = p.handle(post_form("/token", &params, &[("DPoP", &proof)]));
    assert_eq!(bound.status, 200, "{}", bound.body);
    let pair = body(&bound);
    assert_eq!(pair["token_type"], "DPoP");
    assert_eq!(
        token_claims(pair["access_token"].as_str().unwrap())["cnf"]["jkt"],
        jkt.as_str()
    );
}

#[test]
fn registration_is_off_by_default_and_checks_redirect_uris() {
    let off = MemoryPlatform::new(settings(&[(settings::LOGIN_URL, LOGIN)]));
    let reply = off.handle(post_json(
        "/register",
        &json!({"redirect_uris": [REDIRECT]}),
        &[],
    ));
    assert_eq!(reply.status, 404);
    let p = flow_platform();
    let bad = p.handle(post_json(
        "/register",
        &json!({"redirect_uris": ["http://evil.test/cb"]}),
        &[],
    ));
    assert_eq!(error_of(&bad).1, "invalid_redirect_uri");
    let bad = p.handle(post_json(
        "/register",
        &json!({"redirect_uris": [REDIRECT], "grant_types": ["password"]}),
        &[],
    ));
    assert_eq!(error_of(&bad).1, "invalid_client_metadata");
    // A confidential client gets a secret, and authenticates with it at the token endpoint.
    let client = register(&p, json!({"redirect_uris": ["http://127.0.0.1/callback"]}));
    let secret = client["client_secret"].as_str().unwrap();
    let id = client["client_id"].as_str().unwrap();
    assert_eq!(p.events().last().unwrap()["event"], "client_registered");
    let code = code_for(&p, id, &[]);
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let reply = p.handle(post_form(
        "/token",
        &params,
        &[("Authorization", &basic(id, secret))],
    ));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn with_the_demo_on_and_no_login_page_the_demos_consent_page_answers_the_challenge() {
    let p = MemoryPlatform::new(settings(&[
        (settings::DEMO_LOGIN, "true"),
        (settings::REGISTRATION, "open"),
    ]));
    let client_id = public_client(&p);
    let url = authorize_url(&client_id, &[("resource", "")]);
    let to_login = location(&p.handle(get(&url, &[])));
    assert!(
        to_login.starts_with("http://127.0.0.1:8787/consent.html?login_challenge="),
        "{to_login}"
    );
    let challenge = param(&to_login, "login_challenge").unwrap();
    let view = body(&p.handle(get(&format!("/demo/authorizations/{challenge}"), &[])));
    assert_eq!(view["client_name"], "Inspector");
    let accepted = p.handle(post_json(
        &format!("/demo/authorizations/{challenge}/accept"),
        &json!({"name": "bob"}),
        &[],
    ));
    let to = body(&accepted)["redirect_to"].as_str().unwrap().to_owned();
    let code = param(&to, "code").unwrap();
    let pair = body(&exchange(&p, &client_id, &code, &[]));
    let claims = token_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(
        (claims["sub"].as_str(), claims["name"].as_str()),
        (Some("demo:bob"), Some("bob"))
    );
    // The demo's endpoints exist only with the demo on.
    let off = flow_platform();
    assert_eq!(
        off.handle(get(&format!("/demo/authorizations/{challenge}"), &[]))
            .status,
        404
    );
}

pub(crate) const DOCUMENT: &str = "https://app.test/oauth/client.json";

pub(crate) fn document_platform(setting: &str) -> MemoryPlatform {
    MemoryPlatform::new(settings(&[
        (settings::LOGIN_URL, LOGIN),
        (settings::CLIENT_METADATA_DOCUMENTS, setting),
    ]))
}

pub(crate) fn serve(
    p: &MemoryPlatform,
    url: &str,
    status: u16,
    body: Value,
    cache_control: Option<&str>,
) {
    let document = crate::platform::FetchedDocument {
        status,
        body: body.to_string().into_bytes(),
        cache_control: cache_control.map(str::to_owned),
    };
    p.documents.borrow_mut().insert(url.to_owned(), document);
}

pub(crate) fn document(client_id: &str) -> Value {
    json!({"client_id": client_id, "client_name": "Chat", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"})
}

#[test]
fn a_client_id_metadata_document_describes_a_public_client_kept_within_its_cache_control() {
    let p = document_platform("on");
    serve(&p, DOCUMENT, 200, document(DOCUMENT), Some("max-age=300"));
    let code = code_for(&p, DOCUMENT, &[("resource", "")]);
    let pair = exchange(&p, DOCUMENT, &code, &[]);
    assert_eq!(pair.status, 200, "{}", pair.body);
    assert_eq!(
        token_claims(body(&pair)["access_token"].as_str().unwrap())["client_id"],
        DOCUMENT
    );
    // Kept: a second authorization fetches nothing.
    let fetched = p.fetches.get();
    code_for(&p, DOCUMENT, &[("resource", "")]);
    assert_eq!(p.fetches.get(), fetched);
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(metadata["client_id_metadata_document_supported"], true);
}

#[test]
fn a_document_that_names_another_client_redirects_is_too_big_or_lacks_the_redirect_uri_is_refused()
{
    let p = document_platform("on");
    let cases = [
        (
            "https://app.test/a.json",
            200,
            document("https://app.test/other.json"),
        ),
        ("https://app.test/b.json", 302, json!({})),
        (
            "https://app.test/c.json",
            200,
            json!({"client_id": "https://app.test/c.json", "redirect_uris": [REDIRECT], "pad": "x".repeat(6000)}),
        ),
        (
            "https://app.test/d.json",
            200,
            json!({"client_id": "https://app.test/d.json", "redirect_uris": ["https://elsewhere.test/cb"]}),
        ),
        ("https://app.test/e.json", 404, json!({})),
    ];
    for (url, status, body) in cases {
        serve(&p, url, status, body, None);
        let reply = p.handle(get(&authorize_url(url, &[("resource", "")]), &[]));
        assert_eq!(reply.status, 400, "{url}: {}", reply.body);
        assert!(reply.header("Location").is_none(), "{url}");
    }
    // Off, or an http loopback document without `loopback`: no such client.
    let loopback = "http://127.0.0.1:9999/client.json";
    serve(&p, loopback, 200, document(loopback), None);
    assert_eq!(
        p.handle(get(&authorize_url(loopback, &[("resource", "")]), &[]))
            .status,
        400
    );
    let p = document_platform("loopback");
    serve(&p, loopback, 200, document(loopback), None);
    code_for(&p, loopback, &[("resource", "")]);
    let off = document_platform("off");
    serve(&off, DOCUMENT, 200, document(DOCUMENT), None);
    assert_eq!(
        off.handle(get(&authorize_url(DOCUMENT, &[("resource", "")]), &[]))
            .status,
        400
    );
    assert_eq!(off.fetches.get(), 0);
}

#[test]
fn a_flow_takes_three_object_calls_and_nothing_at_authorize() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let before = p.object_calls.get();
    let to_login = location(&p.handle(get(&authorize_url(&client_id, &[]), &[])));
    assert_eq!(p.object_calls.get(), before, "/authorize stores nothing");
    let challenge = param(&to_login, "login_challenge").unwrap();
    let accepted = p.handle(post_json(
        &format!("/authorizations/{challenge}/accept"),
        &json!({"sub": "alice"}),
        &[("Authorization", BACKEND)],
    ));
    let to = body(&accepted)["redirect_to"].as_str().unwrap().to_owned();
    let reply = exchange(&p, &client_id, &param(&to, "code").unwrap(), &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The answer (its challenge's object), then the subject's and the session's.
    assert_eq!(p.object_calls.get() - before, 3);
}

#[test]
fn a_challenge_answered_twice_keeps_its_first_answer_and_expires_after_ten_minutes() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let challenge_of = |p: &MemoryPlatform| {
        let to_login = location(&p.handle(get(&authorize_url(&client_id, &[]), &[])));
        param(&to_login, "login_challenge").unwrap()
    };
    let challenge = challenge_of(&p);
    let answer = |path: &str, body: Value| {
        p.handle(post_json(
            &format!("/authorizations/{challenge}/{path}"),
            &body,
            &[("Authorization", BACKEND)],
        ))
    };
    let first = answer("accept", json!({"sub": "alice"}));
    assert_eq!(first.status, 200, "{}", first.body);
    for (path, body) in [("accept", json!({"sub": "mallory"})), ("reject", json!({}))] {
        let second = answer(path, body);
        assert_eq!(error_of(&second).0, 404, "{path}: {}", second.body);
    }
    // The first answer's code is the one that works, for alice.
    let to = body(&first)["redirect_to"].as_str().unwrap().to_owned();
    let pair = body(&exchange(&p, &client_id, &param(&to, "code").unwrap(), &[]));
    let claims = token_claims(pair["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "alice");
    // A refused answer leaves the challenge pending.
    let challenge = challenge_of(&p);
    let bad = p.handle(post_json(
        &format!("/authorizations/{challenge}/accept"),
        &json!({"sub": "alice", "scope": "admin"}),
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(error_of(&bad).1, "invalid_scope");
    let view = format!("/authorizations/{challenge}");
    assert_eq!(
        p.handle(get(&view, &[("Authorization", BACKEND)])).status,
        200
    );
    // Unanswered for ten minutes: gone.
    p.clock.advance(600);
    assert_eq!(
        p.handle(get(&view, &[("Authorization", BACKEND)])).status,
        404
    );
    let late = p.handle(post_json(
        &format!("{view}/accept"),
        &json!({"sub": "alice"}),
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(error_of(&late).0, 404);
}

#[test]
fn a_reused_code_ends_its_session_whichever_use_starts_it_and_late_too() {
    let p = flow_platform();
    let client_id = public_client(&p);
    let code = code_for(&p, &client_id, &[]);
    let first = body(&exchange(&p, &client_id, &code, &[]));
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    // A second use a while later, still within a day: the session ends.
    p.clock.advance(120);
    let late = exchange(&p, &client_id, &code, &[]);
    assert_eq!(
        error_of(&late).2.as_deref(),
        Some("ERR_AUTHORIZATION_CODE_REUSED"),
        "{}",
        late.body
    );
    assert_eq!(
        error_of(&refresh(&p, &rt, &[])).2.as_deref(),
        Some("ERR_JWT_REVOKED")
    );
    // An expired code never used starts nothing and ends nothing.
    let unused = code_for(&p, &client_id, &[]);
    p.clock.advance(61);
    let expired = exchange(&p, &client_id, &unused, &[]);
    assert_eq!(
        error_of(&expired).2.as_deref(),
        Some("ERR_AUTHORIZATION_CODE_INVALID")
    );
}
