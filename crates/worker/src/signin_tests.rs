//! The issuer's own sign-in through the handlers over the in-memory objects, against an OpenID
//! provider simulated by the platform (its metadata, its keys, its token endpoint answering
//! with an ID token) and GitHub's two endpoints: the whole flow for a configured and for a
//! registered client (the consent page), and each refusal as a page that says why.

use std::cell::RefCell;
use std::rc::Rc;

use edge_jwt_core::testing::{raw_claims, ProviderKeys};
use serde_json::{json, Map, Value};

use crate::api::reply::Reply;
use crate::flow_tests::{
    authorize_url, exchange, location, param, public_client, serve, REDIRECT, VERIFIER,
};
use crate::handler_tests::*;
use crate::platform::{FetchedDocument, Outgoing};
use crate::settings;

const PROVIDER: &str = "https://login.example.com";
const ISSUER: &str = "http://127.0.0.1:8787";

/// A simulated OpenID provider: its key, and what its token endpoint signs next.
struct Provider {
    keys: Rc<ProviderKeys>,
    /// Claims the next ID token carries besides the defaults (and `nonce`, from the request).
    extra: Rc<RefCell<Map<String, Value>>>,
    /// The nonce the last authorization request carried.
    nonce: Rc<RefCell<String>>,
    /// The token endpoint signs with a key the provider does not publish.
    forge: Rc<std::cell::Cell<bool>>,
    /// What a refresh (`grant_type=refresh_token`) is answered, and the tokens it was asked with.
    refresh_answer: Rc<RefCell<Value>>,
    refreshed_with: Rc<RefCell<Vec<String>>>,
    /// The code exchange's answer holds no refresh token.
    no_refresh_token: Rc<std::cell::Cell<bool>>,
}

impl Provider {
    fn new() -> Self {
        Provider {
            keys: Rc::default(),
            extra: Rc::default(),
            nonce: Rc::default(),
            forge: Rc::default(),
            refresh_answer: Rc::new(RefCell::new(json!({"error": "invalid_grant"}))),
            refreshed_with: Rc::default(),
            no_refresh_token: Rc::default(),
        }
    }

    /// Serves its metadata and keys on `p`, and answers its token endpoint.
    fn serve_on(&self, p: &MemoryPlatform) {
        serve(
            p,
            &format!("{PROVIDER}/.well-known/openid-configuration"),
            200,
            json!({"issuer": PROVIDER, "authorization_endpoint": format!("{PROVIDER}/authorize"),
                   "token_endpoint": format!("{PROVIDER}/token"), "jwks_uri": format!("{PROVIDER}/jwks"),
                   "id_token_signing_alg_values_supported": ["EdDSA", "RS256"]}),
            None,
        );
        serve(
            p,
            &format!("{PROVIDER}/jwks"),
            200,
            self.keys.public_jwks(),
            None,
        );
        let keys = self.keys.clone();
        let (extra, nonce, forge) = (self.extra.clone(), self.nonce.clone(), self.forge.clone());
        let (refresh_answer, refreshed_with) =
            (self.refresh_answer.clone(), self.refreshed_with.clone());
        let no_refresh_token = self.no_refresh_token.clone();
        *p.answer_posts.borrow_mut() = Some(Box::new(move |request: &Outgoing| {
            let form = request.form.clone().unwrap_or_default();
            if let Some(rest) = form.strip_prefix("grant_type=refresh_token&refresh_token=") {
                let token = rest.split('&').next().unwrap_or_default().to_owned();
                refreshed_with.borrow_mut().push(token);
                let answer = refresh_answer.borrow().clone();
                return FetchedDocument {
                    status: if answer.get("error").is_some() {
                        400
                    } else {
                        200
                    },
                    body: answer.to_string().into_bytes(),
                    cache_control: None,
                };
            }
            if !form.contains("code=provider-code") || !form.contains("code_verifier=") {
                return FetchedDocument {
                    status: 400,
                    body: br#"{"error":"invalid_grant"}"#.to_vec(),
                    cache_control: None,
                };
            }
            let mut claims = Map::from_iter([
                ("iss".into(), json!(PROVIDER)),
                ("aud".into(), json!("edge-jwt")),
                ("sub".into(), json!("248289761001")),
                ("nonce".into(), json!(nonce.borrow().clone())),
                ("iat".into(), json!(T0)),
                ("exp".into(), json!(T0 + 600)),
                ("email".into(), json!("jane@example.com")),
                ("email_verified".into(), json!(true)),
                ("name".into(), json!("Jane")),
            ]);
            claims.extend(extra.borrow().clone());
            let id_token = match forge.get() {
                false => keys.sign(raw_claims(claims), "JWT"),
                true => ProviderKeys::new().sign(raw_claims(claims), "JWT"),
            };
            FetchedDocument {
                status: 200,
                body: {
                    let mut answer = json!({"access_token": "at", "token_type": "Bearer",
                                            "id_token": id_token, "refresh_token": "upstream-rt-1"});
                    if no_refresh_token.get() {
                        answer.as_object_mut().unwrap().remove("refresh_token");
                    }
                    answer.to_string().into_bytes()
                },
                cache_control: None,
            }
        }));
    }
}

fn upstreams(allow: Value) -> String {
    json!([{"id": "corp", "name": "Corp SSO", "issuer": PROVIDER, "client_id": "edge-jwt",
            "client_secret": "provider-secret", "claims": ["email", "name"], "allow": allow}])
    .to_string()
}

fn platform_with(upstreams: &str) -> MemoryPlatform {
    platform_with_settings(upstreams, &[])
}

fn platform_with_settings(upstreams: &str, extra: &[(&'static str, &str)]) -> MemoryPlatform {
    let clients = json!({
        "backend": "0123456789abcdef-secret",
        "cli": {"secret": "cli-secret-0123456789", "redirect_uris": [REDIRECT], "client_name": "Our CLI"},
    })
    .to_string();
    let resources = json!(["https://mcp.test/mcp"]).to_string();
    let mut all = vec![
        (settings::UPSTREAMS, upstreams),
        (settings::REGISTRATION, "open"),
        (settings::CLIENTS, clients.as_str()),
        (settings::RESOURCES, resources.as_str()),
    ];
    all.extend_from_slice(extra);
    MemoryPlatform::new(settings(&all))
}

/// `/authorize` → `/signin` → the provider: the provider's authorization URL and the cookie.
fn to_provider(p: &MemoryPlatform, provider: &Provider, client_id: &str) -> (String, String) {
    to_provider_from(p, provider, &authorize_url(client_id, &[]))
}

/// [`to_provider`] from the `/authorize` path `url`.
fn to_provider_from(p: &MemoryPlatform, provider: &Provider, url: &str) -> (String, String) {
    let to_signin = location(&p.handle(get(url, &[])));
    assert!(
        to_signin.starts_with(&format!("{ISSUER}/signin?login_challenge=")),
        "{to_signin}"
    );
    let path = to_signin.strip_prefix(ISSUER).unwrap();
    // One upstream: the chooser sends the browser straight on.
    let begin = location(&p.handle(get(path, &[])));
    assert!(
        begin.starts_with(&format!("{ISSUER}/signin/corp?")),
        "{begin}"
    );
    let reply = p.handle(get(begin.strip_prefix(ISSUER).unwrap(), &[]));
    let at_provider = location(&reply);
    let set_cookie = reply.header("Set-Cookie").unwrap().to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(
        at_provider.starts_with(&format!("{PROVIDER}/authorize?")),
        "{at_provider}"
    );
    for (name, expected) in [
        ("client_id", "edge-jwt"),
        ("redirect_uri", "http://127.0.0.1:8787/signin/callback"),
        ("code_challenge_method", "S256"),
        ("scope", "openid email profile"),
    ] {
        assert_eq!(
            param(&at_provider, name).as_deref(),
            Some(expected),
            "{name}"
        );
    }
    *provider.nonce.borrow_mut() = param(&at_provider, "nonce").unwrap();
    (at_provider, cookie)
}

/// `/authorize` at `url` through the provider and back: the callback's answer (the consent
/// page, or the redirect to the client) and the browser's cookie.
fn signed_in_at(p: &MemoryPlatform, provider: &Provider, url: &str) -> (Reply, String) {
    let (at_provider, cookie) = to_provider_from(p, provider, url);
    let state = param(&at_provider, "state").unwrap();
    (callback(p, &state, Some(&cookie), "provider-code"), cookie)
}

/// The consent form's sealed ticket on `page`.
fn ticket_of(page: &Reply) -> String {
    let after = page.body.split("name=\"ticket\" value=\"").nth(1).unwrap();
    after.split('"').next().unwrap().to_owned()
}

fn callback(p: &MemoryPlatform, state: &str, cookie: Option<&str>, code: &str) -> Reply {
    let path = format!("/signin/callback?code={code}&state={}", urlencode(state));
    let headers: Vec<(&str, &str)> = cookie.map(|c| vec![("Cookie", c)]).unwrap_or_default();
    p.handle(get(&path, &headers))
}

#[test]
fn a_configured_client_gets_a_code_for_the_user_the_provider_signed_in() {
    let provider = Provider::new();
    let p = platform_with(&upstreams(json!({})));
    provider.serve_on(&p);
    let (at_provider, cookie) = to_provider(&p, &provider, "cli");
    let state = param(&at_provider, "state").unwrap();
    let back = callback(&p, &state, Some(&cookie), "provider-code");
    let to_client = location(&back);
    assert!(to_client.starts_with(REDIRECT), "{to_client}");
    assert!(
        back.header("Set-Cookie").unwrap().contains("Max-Age=0"),
        "the cookie is cleared"
    );
    // The code exchanges as any other; the user is corp|<sub>, with the claims carried.
    let code = param(&to_client, "code").unwrap();
    let tokens = exchange_cli(&p, &code);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let claims = token_claims(body(&tokens)["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "corp|248289761001");
    assert_eq!(claims["email"], "jane@example.com");
    assert_eq!(claims["name"], "Jane");
    assert!(
        claims.get("email_verified").is_none(),
        "only the claims listed"
    );
    // The token request to the provider carried the PKCE verifier and HTTP Basic.
    let sent = p.sent.borrow();
    let post = sent.iter().find(|r| r.method == "POST").unwrap();
    assert!(post
        .headers
        .iter()
        .any(|(n, v)| *n == "Authorization" && v.starts_with("Basic ")));
    // The same callback again: the challenge was answered.
    drop(sent);
    let again = callback(&p, &state, Some(&cookie), "provider-code");
    assert_eq!(again.status, 400);
    assert!(again.body.contains("used already"), "{}", again.body);
    assert!(again
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
}

#[test]
fn a_registered_client_gets_the_consent_page_first() {
    let provider = Provider::new();
    let p = platform_with(&upstreams(json!({})));
    provider.serve_on(&p);
    let client_id = crate::flow_tests::register(
        &p,
        json!({"redirect_uris": [REDIRECT], "client_name": "Claude <script>",
               "token_endpoint_auth_method": "none"}),
    )["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (at_provider, cookie) = to_provider(&p, &provider, &client_id);
    let state = param(&at_provider, "state").unwrap();
    let page = callback(&p, &state, Some(&cookie), "provider-code");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Claude &lt;script&gt;"),
        "the name, escaped"
    );
    assert!(page.body.contains("registered itself"));
    assert!(page.body.contains("127.0.0.1:33418"), "the redirect's host");
    assert!(page.body.contains("<code>mcp:tools</code>"));
    assert!(page
        .header("Content-Security-Policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let ticket = ticket_of(&page);
    let answer = |decision: &str, cookie: Option<&str>| {
        let mut headers = vec![];
        if let Some(cookie) = cookie {
            headers.push(("Cookie", cookie));
        }
        p.handle(post_form(
            "/signin/consent",
            &[("ticket", &ticket), ("decision", decision)],
            &headers,
        ))
    };
    // Without the browser's cookie (a cross-site post carries none), nothing happens.
    assert_eq!(answer("allow", None).status, 400);
    assert_eq!(
        answer("allow", Some("edge_jwt_signin=someone-else")).status,
        400
    );
    let to_client = location(&answer("allow", Some(&cookie)));
    let code = param(&to_client, "code").unwrap();
    let tokens = exchange(&p, &client_id, &code, &[]);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(
        token_claims(body(&tokens)["access_token"].as_str().unwrap())["sub"],
        "corp|248289761001"
    );
    // Answered once.
    assert_eq!(answer("deny", Some(&cookie)).status, 404);
}

#[test]
fn a_denied_consent_sends_access_denied_with_iss_to_the_client() {
    let provider = Provider::new();
    let p = platform_with(&upstreams(json!({})));
    provider.serve_on(&p);
    let client_id = public_client(&p);
    let url = authorize_url(&client_id, &[("redirect_uri", "http://127.0.0.1/callback")]);
    let (page, cookie) = signed_in_at(&p, &provider, &url);
    let ticket = ticket_of(&page);
    let denied = p.handle(post_form(
        "/signin/consent",
        &[("ticket", &ticket), ("decision", "deny")],
        &[("Cookie", &cookie)],
    ));
    let to = location(&denied);
    assert!(to.starts_with("http://127.0.0.1/callback?"), "{to}");
    assert_eq!(param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&to, "iss").as_deref(), Some(ISSUER));
    assert_eq!(param(&to, "state").as_deref(), Some("st"));
}

#[test]
fn each_bad_answer_of_the_provider_is_a_page_saying_why_and_uses_nothing_up() {
    let provider = Provider::new();
    let p = platform_with(&upstreams(json!({"email_domains": ["example.com"]})));
    provider.serve_on(&p);
    let (at_provider, cookie) = to_provider(&p, &provider, "cli");
    let state = param(&at_provider, "state").unwrap();
    let refused = |state: &str, cookie: Option<&str>, code: &str, status: u16, says: &str| {
        let page = callback(&p, state, cookie, code);
        assert_eq!(page.status, status, "{says}: {}", page.body);
        assert!(page.body.contains(says), "{says}: {}", page.body);
        assert!(page
            .header("Content-Type")
            .unwrap()
            .starts_with("text/html"));
    };
    refused(
        "not-a-state",
        Some(&cookie),
        "provider-code",
        400,
        "not one this issuer began",
    );
    refused(&state, None, "provider-code", 400, "another browser");
    refused(
        &state,
        Some("edge_jwt_signin=other"),
        "provider-code",
        400,
        "another browser",
    );
    refused(
        &state,
        Some(&cookie),
        "wrong-code",
        400,
        "refused the sign-in",
    );
    let mixed_up = format!(
        "/signin/callback?code=provider-code&iss={}&state={}",
        urlencode("https://evil.example"),
        urlencode(&state)
    );
    let page = p.handle(get(&mixed_up, &[("Cookie", &cookie)]));
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("not the identity provider asked"),
        "{}",
        page.body
    );
    let bend = |claims: Value| {
        *provider.extra.borrow_mut() = claims.as_object().cloned().unwrap();
    };
    for (claims, says) in [
        (json!({"nonce": "another"}), "nonce"),
        (json!({"aud": "another-client"}), "aud"),
        (json!({"iss": "https://evil.example"}), "iss"),
        (json!({"exp": T0 - 600}), "exp"),
    ] {
        bend(claims);
        refused(&state, Some(&cookie), "provider-code", 400, says);
    }
    // A user the allow-list refuses: 403, an event, nothing answered.
    bend(json!({"email": "eve@evil.com"}));
    refused(
        &state,
        Some(&cookie),
        "provider-code",
        403,
        "accounts at evil.com may not sign in here",
    );
    assert!(p
        .events()
        .iter()
        .any(|e| e["event"] == "sign_in_refused" && e["sub"] == "corp|248289761001"));
    // An ID token signed by a key the provider does not publish (its key set fetched again
    // once, past the cooldown, in case it rotated: still not there).
    bend(json!({}));
    provider.forge.set(true);
    p.clock.advance(31);
    refused(
        &state,
        Some(&cookie),
        "provider-code",
        400,
        "does not verify",
    );
    // None of it used the challenge up: the right answer still completes it.
    provider.forge.set(false);
    let back = callback(&p, &state, Some(&cookie), "provider-code");
    assert!(location(&back).starts_with(REDIRECT));
    // The provider's own refusal goes to the client as access_denied.
    let (at_provider, cookie) = to_provider(&p, &provider, "cli");
    let path = format!(
        "/signin/callback?error=access_denied&state={}",
        urlencode(&param(&at_provider, "state").unwrap())
    );
    let to = location(&p.handle(get(&path, &[("Cookie", &cookie)])));
    assert_eq!(param(&to, "error").as_deref(), Some("access_denied"));
}

#[test]
fn several_upstreams_get_a_chooser_and_github_signs_in_by_its_user_id() {
    let both = json!([
        {"id": "corp", "name": "Corp SSO", "issuer": PROVIDER, "client_id": "edge-jwt", "client_secret": "s"},
        {"id": "github", "name": "GitHub", "github": true, "client_id": "gh-client", "client_secret": "gh-secret",
         "claims": ["login", "email"], "userinfo_endpoint": "https://api.github.test/user",
         "authorization_endpoint": "https://github.test/login/oauth/authorize",
         "token_endpoint": "https://github.test/login/oauth/access_token"}
    ])
    .to_string();
    let p = platform_with(&both);
    Provider::new().serve_on(&p);
    let to_signin = location(&p.handle(get(&authorize_url("cli", &[]), &[])));
    let chooser = p.handle(get(to_signin.strip_prefix(ISSUER).unwrap(), &[]));
    assert_eq!(chooser.status, 200);
    assert!(
        chooser.body.contains("Continue with Corp SSO")
            && chooser.body.contains("Continue with GitHub")
    );
    assert!(chooser.body.contains("Our CLI"));
    let begin = chooser
        .body
        .split("href=\"")
        .find(|h| h.contains("/signin/github"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let reply = p.handle(get(begin.strip_prefix(ISSUER).unwrap(), &[]));
    let at_github = location(&reply);
    assert!(
        at_github.starts_with("https://github.test/login/oauth/authorize?"),
        "{at_github}"
    );
    assert!(param(&at_github, "nonce").is_none(), "GitHub is not OpenID");
    assert_eq!(
        param(&at_github, "scope").as_deref(),
        Some("read:user user:email")
    );
    let cookie = reply
        .header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // GitHub's token endpoint (client_secret_post) and its user API.
    *p.answer_posts.borrow_mut() = Some(Box::new(|request: &Outgoing| {
        let form = request.form.clone().unwrap_or_default();
        let ok = form.contains("client_secret=gh-secret") && form.contains("code=gh-code");
        FetchedDocument {
            status: 200,
            body: if ok {
                br#"{"access_token":"gho_x","token_type":"bearer"}"#.to_vec()
            } else {
                br#"{"error":"bad_verification_code"}"#.to_vec()
            },
            cache_control: None,
        }
    }));
    serve(
        &p,
        "https://api.github.test/user",
        200,
        json!({"id": 583231, "login": "octocat", "name": "Mona"}),
        None,
    );
    serve(
        &p,
        "https://api.github.test/user/emails",
        200,
        json!([{"email": "old@example.com", "primary": false, "verified": true},
                 {"email": "octocat@github.com", "primary": true, "verified": true}]),
        None,
    );
    let back = callback(
        &p,
        &param(&at_github, "state").unwrap(),
        Some(&cookie),
        "gh-code",
    );
    let code = param(&location(&back), "code").unwrap();
    let tokens = exchange_cli(&p, &code);
    let claims = token_claims(body(&tokens)["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "github|583231");
    assert_eq!(claims["login"], "octocat");
    assert_eq!(claims["email"], "octocat@github.com");
    let sent = p.sent.borrow();
    let user_call = sent
        .iter()
        .find(|r| r.url == "https://api.github.test/user")
        .unwrap();
    assert!(user_call.headers.iter().any(|(n, _)| *n == "User-Agent"));
}

#[test]
fn the_login_app_wins_when_both_are_set_and_metadata_lists_the_flow() {
    let login = "https://app.test/login";
    let p = platform_with_settings(&upstreams(json!({})), &[(settings::LOGIN_URL, login)]);
    let to = location(&p.handle(get(&authorize_url("cli", &[]), &[])));
    assert!(to.starts_with(&format!("{login}?login_challenge=")), "{to}");
    assert_eq!(p.handle(get("/signin?login_challenge=x", &[])).status, 404);
    let signs_in = platform_with(&upstreams(json!({})));
    let metadata = body(&signs_in.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{ISSUER}/authorize")
    );
}

/// Signs `cli` in through the provider and exchanges its code: the token pair.
fn signed_in_pair(p: &MemoryPlatform, provider: &Provider) -> Value {
    let (at_provider, cookie) = to_provider(p, provider, "cli");
    let back = callback(
        p,
        &param(&at_provider, "state").unwrap(),
        Some(&cookie),
        "provider-code",
    );
    let code = param(&location(&back), "code").unwrap();
    let tokens = exchange_cli(p, &code);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    body(&tokens)
}

/// The configured client `cli` exchanges `code` (with its secret, and the flow tests' verifier).
fn exchange_cli(p: &MemoryPlatform, code: &str) -> Reply {
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let auth = basic("cli", "cli-secret-0123456789");
    p.handle(post_form("/token", &params, &[("Authorization", &auth)]))
}

fn refresh_cli(p: &MemoryPlatform, refresh_token: &str) -> Reply {
    let auth = basic("cli", "cli-secret-0123456789");
    refresh(p, refresh_token, &[("Authorization", &auth)])
}

#[test]
fn a_session_that_follows_its_provider_ends_when_the_provider_refuses_the_users_grant() {
    let provider = Provider::new();
    let following = json!([{"id": "corp", "issuer": PROVIDER, "client_id": "edge-jwt",
        "client_secret": "provider-secret", "follow": true}])
    .to_string();
    let p = platform_with(&following);
    provider.serve_on(&p);
    let pair = signed_in_pair(&p, &provider);
    // Within the notice interval, the provider is not asked.
    let refreshed = refresh_cli(&p, pair["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert!(provider.refreshed_with.borrow().is_empty());
    // A day later it is, with its refresh token; a rotated one is kept for the next time.
    *provider.refresh_answer.borrow_mut() =
        json!({"access_token": "at2", "token_type": "Bearer", "refresh_token": "upstream-rt-2"});
    p.clock.advance(86_400);
    let refreshed = refresh_cli(&p, body(&refreshed)["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(*provider.refreshed_with.borrow(), ["upstream-rt-1"]);
    // Then the user is removed at the provider: the session ends, with an event.
    *provider.refresh_answer.borrow_mut() = json!({"error": "invalid_grant"});
    p.clock.advance(86_400);
    let access_token = body(&refreshed)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = refresh_cli(&p, body(&refreshed)["refresh_token"].as_str().unwrap());
    assert_eq!(error_of(&refused).1, "invalid_grant", "{}", refused.body);
    assert!(
        refused.body.contains("no longer signs this user in"),
        "{}",
        refused.body
    );
    assert_eq!(
        provider.refreshed_with.borrow().last().map(String::as_str),
        Some("upstream-rt-2")
    );
    assert!(p
        .events()
        .iter()
        .any(|e| e["event"] == "upstream_session_ended" && e["sub"] == "corp|248289761001"));
    assert_eq!(
        introspect(&p, &access_token)["active"],
        false,
        "its access tokens end with it"
    );
}

#[test]
fn without_follow_the_provider_is_never_asked_and_with_it_a_refresh_token_is_required() {
    let provider = Provider::new();
    let p = platform_with(&upstreams(json!({})));
    provider.serve_on(&p);
    let pair = signed_in_pair(&p, &provider);
    p.clock.advance(86_400);
    assert_eq!(
        refresh_cli(&p, pair["refresh_token"].as_str().unwrap()).status,
        200
    );
    assert!(provider.refreshed_with.borrow().is_empty());
    // A provider that gives no refresh token cannot be followed: the sign-in says so.
    let following = json!([{"id": "corp", "issuer": PROVIDER, "client_id": "edge-jwt",
        "client_secret": "provider-secret", "follow": true}])
    .to_string();
    let p = platform_with(&following);
    provider.serve_on(&p);
    provider.no_refresh_token.set(true);
    let (at_provider, cookie) = to_provider(&p, &provider, "cli");
    let page = callback(
        &p,
        &param(&at_provider, "state").unwrap(),
        Some(&cookie),
        "provider-code",
    );
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("no ID token") || page.body.contains("refresh token"),
        "{}",
        page.body
    );
}

#[test]
fn a_consent_remembered_on_request_skips_the_page_for_the_same_access_only() {
    let provider = Provider::new();
    let p = platform_with(&upstreams(json!({})));
    provider.serve_on(&p);
    let client_id = crate::flow_tests::register(
        &p,
        json!({"redirect_uris": [REDIRECT], "client_name": "Claude", "token_endpoint_auth_method": "none"}),
    )["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Signs in through the provider: the consent page, or straight back to the client.
    let sign_in = |scope: &str| {
        signed_in_at(
            &p,
            &provider,
            &authorize_url(&client_id, &[("scope", scope)]),
        )
    };
    let allow = |page: &Reply, cookie: &str, remember: bool| {
        let ticket = ticket_of(page);
        let mut form = vec![("ticket", ticket.as_str()), ("decision", "allow")];
        if remember {
            form.push(("remember", "yes"));
        }
        location(&p.handle(post_form("/signin/consent", &form, &[("Cookie", cookie)])))
    };
    // Allowed without remembering: asked again next time.
    let (page, cookie) = sign_in("mcp:tools");
    assert!(page.body.contains("Don't ask again"), "{}", page.body);
    assert!(allow(&page, &cookie, false).starts_with(REDIRECT));
    let (page, cookie) = sign_in("mcp:tools");
    assert_eq!(page.status, 200, "the consent page again");
    // Remembered: the same access goes straight back to the client.
    assert!(allow(&page, &cookie, true).starts_with(REDIRECT));
    let (back, _) = sign_in("mcp:tools");
    assert!(
        location(&back).starts_with(REDIRECT),
        "no page: {}",
        back.body
    );
    // A wider scope is asked about again.
    let (page, _) = sign_in("mcp:tools files:write");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("files:write"));
}
