//! Every handler, natively: the deployed handlers and the deployed objects' dispatch, over the
//! core's in-memory stores (one per Durable Object, as each object has its own storage, and
//! one for KV) instead of the Worker's bindings. What crosses to an object crosses as JSON.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use base64::Engine as _;
use edge_jwt_core::dpop::jwk_thumbprint;
use edge_jwt_core::dpop_client::{proof_signing_input, ProofClaims};
use edge_jwt_core::keys::{PrivateKey, SigningKey};
use edge_jwt_core::testing::{FixedClock, MemoryStore};
use edge_jwt_core::{Algorithm, KeySet, RevocationList, SessionRotation, Subject};
use futures::executor::block_on;
use jwt_simple::prelude::EdDSAKeyPairLike as _;
use serde_json::{json, Value};

use crate::api::incoming::Incoming;
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::KeyCall;
use crate::calls::*;
use crate::objects::{keys, session, subject};
use crate::platform::{FetchedDocument, Outgoing, Platform};
use crate::routes;
use crate::settings::{self, Settings};

const BASE: &str = "http://127.0.0.1:8787";
pub(crate) const T0: u64 = 1_767_225_600;
pub(crate) const BACKEND: &str = "Basic YmFja2VuZDowMTIzNDU2Nzg5YWJjZGVmLXNlY3JldA=="; // backend:0123456789abcdef-secret
pub(crate) const SERVICE: (&str, &str) = ("reports", "reports-secret-0123456789");

pub(crate) fn basic(id: &str, secret: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    format!("Basic {encoded}")
}

/// The issuer's settings as `make dev` has them, plus a service client with the client
/// credentials grant, and `extra` on top.
pub(crate) fn settings(extra: &[(&'static str, &str)]) -> Rc<Settings> {
    let mut map = settings::tests::dev_settings();
    let clients = json!({
        "backend": "0123456789abcdef-secret",
        SERVICE.0: { "secret": SERVICE.1, "scopes": ["reports:read"], "grant_types": ["client_credentials"] },
    });
    map.insert(settings::CLIENTS, clients.to_string());
    for (name, value) in extra {
        map.insert(name, (*value).to_owned());
    }
    Rc::new(Settings::load(|name| map.get(name).cloned()).unwrap())
}

/// The Worker's bindings in memory: each Durable Object's storage, KV, the rate limit, the log.
pub(crate) struct MemoryPlatform {
    settings: Rc<Settings>,
    pub(crate) clock: FixedClock,
    objects: RefCell<BTreeMap<String, MemoryStore>>,
    kv: MemoryStore,
    requests_left: Cell<u32>,
    log: RefCell<Vec<String>>,
    /// How many calls reached a session's object.
    pub(crate) session_calls: Cell<u32>,
    /// How many calls reached any object.
    pub(crate) object_calls: Cell<u32>,
    /// The documents `fetch_document` answers, by URL, and how many fetches there were.
    pub(crate) documents: RefCell<BTreeMap<String, FetchedDocument>>,
    pub(crate) fetches: Cell<u32>,
    /// What answers a `POST` (an identity provider's token endpoint), and every request sent.
    #[allow(clippy::type_complexity)]
    pub(crate) answer_posts: RefCell<Option<Box<dyn Fn(&Outgoing) -> FetchedDocument>>>,
    pub(crate) sent: RefCell<Vec<Outgoing>>,
}

impl MemoryPlatform {
    pub(crate) fn new(settings: Rc<Settings>) -> Self {
        let clock = FixedClock::at(T0);
        MemoryPlatform {
            settings,
            kv: MemoryStore::new(clock.clone()),
            clock,
            objects: RefCell::default(),
            requests_left: Cell::new(u32::MAX),
            log: RefCell::default(),
            session_calls: Cell::new(0),
            object_calls: Cell::new(0),
            documents: RefCell::default(),
            fetches: Cell::new(0),
            answer_posts: RefCell::new(None),
            sent: RefCell::default(),
        }
    }

    /// The storage of the object named `name` (each object has its own).
    pub(crate) fn storage(&self, name: &str) -> MemoryStore {
        self.objects
            .borrow_mut()
            .entry(name.to_owned())
            .or_insert_with(|| MemoryStore::new(self.clock.clone()))
            .clone()
    }

    pub(crate) fn revocation_list(&self) -> RevocationList<MemoryStore> {
        RevocationList::new(self.kv.clone(), self.settings.issuer.policy().leeway)
    }

    /// What session `sid`'s object does with a call (its `fetch`, without the transport).
    async fn session_object(&self, sid: &str, call: SessionCall) -> Result<Value, RemoteError> {
        self.session_calls.set(self.session_calls.get() + 1);
        let store = self.storage(sid);
        let revocations = self.revocation_list();
        let rotation = SessionRotation {
            issuer: &self.settings.issuer,
            store: &store,
            revocations: &revocations,
            clock: &self.clock,
        };
        session::answer(call, &rotation, self.settings.store_conformance).await
    }

    /// What the key object does with a call (the settings' managed keys).
    async fn key_object(&self, call: KeyCall) -> Result<Value, RemoteError> {
        let managed = self.settings.managed.as_ref().ok_or_else(|| {
            RemoteError::from(edge_jwt_core::Error::Internal("static keys".into()))
        })?;
        let store = self.storage("keys");
        keys::answer(
            call,
            &store,
            managed,
            edge_jwt_core::Clock::now(&self.clock),
        )
        .await
    }

    /// What a subject's object does with a call.
    async fn subject_object(&self, call: SubjectCall) -> Result<Value, RemoteError> {
        let store = self.storage(&call.sub);
        let subject = Subject {
            sub: &call.sub,
            store: &store,
            policy: self.settings.issuer.policy(),
            clock: &self.clock,
        };
        let sessions = subject::ObjectSessions(self);
        subject::answer(call.op, &subject, &sessions, || Ok(self.revocation_list())).await
    }

    pub(crate) fn handle(&self, req: Incoming<Vec<u8>>) -> Reply {
        block_on(routes::handle(req, self, &Ok(self.settings.clone())))
    }

    pub(crate) fn events(&self) -> Vec<Value> {
        self.log
            .borrow()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl ObjectCaller for MemoryPlatform {
    async fn call<C: ObjectCall>(&self, name: &str, call: C) -> Result<C::Reply, CallError> {
        self.object_calls.set(self.object_calls.get() + 1);
        let envelope = call.envelope(name);
        let sent = match C::NAMESPACE {
            Namespace::Sessions => self.session_object(name, through_json(&envelope)).await,
            Namespace::Keys => self.key_object(through_json(&envelope)).await,
            Namespace::Subjects => {
                // Boxed: a subject's object calls its sessions' objects back through this
                // method, and an async fn's future cannot contain itself.
                let subject: Pin<Box<dyn Future<Output = Result<Value, RemoteError>> + '_>> =
                    Box::pin(self.subject_object(through_json(&envelope)));
                subject.await
            }
        };
        let received: Result<C::Reply, RemoteError> = through_json(&sent);
        received.map_err(CallError::Remote)
    }
}

impl Platform for MemoryPlatform {
    type Kv = MemoryStore;

    fn kv(&self) -> Result<MemoryStore, ApiError> {
        Ok(self.kv.clone())
    }

    async fn within_limit(&self, _address: &str) -> Result<bool, ApiError> {
        let left = self.requests_left.get();
        self.requests_left.set(left.saturating_sub(1));
        Ok(left > 0)
    }

    async fn fetch(&self, request: &Outgoing, limit: usize) -> Result<FetchedDocument, ApiError> {
        self.fetches.set(self.fetches.get() + 1);
        self.sent.borrow_mut().push(request.clone());
        let answered = match (request.method, &*self.answer_posts.borrow()) {
            ("POST", Some(answer)) => Some(answer(request)),
            _ => None,
        };
        let mut document = answered.unwrap_or_else(|| {
            self.documents
                .borrow()
                .get(&request.url)
                .cloned()
                .unwrap_or(FetchedDocument {
                    status: 404,
                    ..FetchedDocument::default()
                })
        });
        document.body.truncate(limit + 1);
        Ok(document)
    }

    fn now(&self) -> u64 {
        edge_jwt_core::Clock::now(&self.clock)
    }

    fn log(&self, line: &str) {
        self.log.borrow_mut().push(line.to_owned());
    }
}

// Requests -------------------------------------------------------------------------------

pub(crate) fn get(path: &str, headers: &[(&str, &str)]) -> Incoming<Vec<u8>> {
    Incoming::new("GET", &format!("{BASE}{path}"), headers, b"")
}

pub(crate) fn post_form(
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Incoming<Vec<u8>> {
    let body = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    Incoming::new("POST", &format!("{BASE}{path}"), &all, body.as_bytes())
}

pub(crate) fn post_json(path: &str, body: &Value, headers: &[(&str, &str)]) -> Incoming<Vec<u8>> {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    let text = body.to_string();
    Incoming::new("POST", &format!("{BASE}{path}"), &all, text.as_bytes())
}

pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn body(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or(Value::Null)
}

/// The OAuth error of a reply: status, `error`, the core's `code` if any.
pub(crate) fn error_of(reply: &Reply) -> (u16, String, Option<String>) {
    let json = body(reply);
    (
        reply.status,
        json["error"].as_str().unwrap_or_default().to_owned(),
        json["code"].as_str().map(str::to_owned),
    )
}

/// A token's payload, unverified.
pub(crate) fn token_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub(crate) fn start_session(p: &MemoryPlatform, sub: &str, extra: Value) -> Value {
    let mut request = json!({ "sub": sub });
    if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        request.extend(extra.clone());
    }
    let reply = p.handle(post_json(
        "/sessions",
        &request,
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(reply.status, 201, "{}", reply.body);
    body(&reply)
}

pub(crate) fn refresh(p: &MemoryPlatform, refresh_token: &str, headers: &[(&str, &str)]) -> Reply {
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    p.handle(post_form("/token", &params, headers))
}

pub(crate) fn introspect(p: &MemoryPlatform, token: &str) -> Value {
    let reply = p.handle(post_form(
        "/introspect",
        &[("token", token)],
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(reply.status, 200);
    body(&reply)
}

// The route table ---------------------------------------------------------------------------

#[test]
fn every_path_answers_its_preflight_and_names_its_methods_on_a_405() {
    let p = MemoryPlatform::new(settings(&[
        (settings::DEMO_LOGIN, "true"),
        (settings::STORE_CONFORMANCE, "true"),
    ]));
    let sid = "AAAAAAAAAAAAAAAAAAAAAA";
    let paths = [
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/.well-known/jwks.json", "GET, HEAD, OPTIONS"),
        (
            "/.well-known/oauth-authorization-server",
            "GET, HEAD, OPTIONS",
        ),
        ("/sessions", "POST, OPTIONS"),
        ("/token", "POST, OPTIONS"),
        ("/revoke", "POST, OPTIONS"),
        ("/introspect", "POST, OPTIONS"),
        ("/subjects/alice/revoke", "POST, OPTIONS"),
        ("/subjects/alice/sessions", "GET, HEAD, OPTIONS"),
        (
            &*format!("/subjects/alice/sessions/{sid}/revoke"),
            "POST, OPTIONS",
        ),
        ("/demo/login", "POST, OPTIONS"),
        ("/demo/me", "GET, HEAD, OPTIONS"),
        ("/demo/logout-everywhere", "POST, OPTIONS"),
        ("/test/store-conformance", "POST, OPTIONS"),
    ];
    for (path, allow) in paths {
        let origin = [("Origin", "https://app.test")];
        let preflight = p.handle(Incoming::new(
            "OPTIONS",
            &format!("{BASE}{path}"),
            &origin,
            b"",
        ));
        assert_eq!(preflight.status, 204, "{path}");
        assert_eq!(
            preflight.header("Access-Control-Allow-Origin"),
            Some("https://app.test")
        );
        assert!(preflight
            .header("Access-Control-Allow-Headers")
            .unwrap()
            .contains("DPoP"));
        assert_eq!(preflight.header("Vary"), Some("Origin"));
        let wrong = if allow.starts_with("GET") {
            "POST"
        } else {
            "GET"
        };
        let refused = p.handle(Incoming::new(wrong, &format!("{BASE}{path}"), &[], b""));
        assert_eq!(error_of(&refused).0, 405, "{path}");
        assert_eq!(refused.header("Allow"), Some(allow), "{path}");
    }
    let foreign = p.handle(get("/healthz", &[("Origin", "https://evil.test")]));
    assert_eq!(foreign.header("Access-Control-Allow-Origin"), None);
    assert_eq!(foreign.header("Vary"), Some("Origin"));
    assert_eq!(error_of(&p.handle(get("/nope", &[]))).0, 404);
}

#[test]
fn paths_decode_their_parameters_before_anything_else() {
    let p = MemoryPlatform::new(settings(&[]));
    let auth = [("Authorization", BACKEND)];
    // RFC 3986 percent-decoding: a + stays a plus sign.
    let plus = Incoming::new(
        "POST",
        &format!("{BASE}/subjects/ann+test%40example.com/revoke"),
        &auth,
        b"",
    );
    assert_eq!(p.handle(plus).status, 204);
    assert_eq!(p.events().last().unwrap()["sub"], "ann+test@example.com");
    for bad in [
        "/subjects/%zz/revoke",
        "/subjects/%+9/revoke",
        "/subjects/ann/sessions/x/revoke",
    ] {
        // Refused as a bad path even with the wrong method or no credentials.
        let reply = p.handle(Incoming::new("GET", &format!("{BASE}{bad}"), &[], b""));
        assert_eq!(error_of(&reply).0, 400, "{bad}");
    }
    for unknown in [
        "/nope",
        "/subjects/a/b",
        "/token/",
        "/../../etc/passwd",
        "/",
    ] {
        assert_eq!(error_of(&p.handle(get(unknown, &[]))).0, 404, "{unknown}");
    }
}

#[test]
fn the_demo_and_test_routes_exist_only_when_turned_on() {
    let p = MemoryPlatform::new(settings(&[]));
    for path in ["/demo/me", "/test/store-conformance"] {
        assert_eq!(error_of(&p.handle(get(path, &[]))).0, 404, "{path}");
    }
}

#[test]
fn a_misconfigured_issuer_answers_503_naming_the_setting() {
    let p = MemoryPlatform::new(settings(&[]));
    let broken = Err(ApiError::misconfigured(
        settings::SIGNING_KEYS,
        "is not set",
    ));
    let reply = block_on(routes::handle(get("/healthz", &[]), &p, &broken));
    let (status, error, _) = error_of(&reply);
    assert_eq!((status, error.as_str()), (503, "temporarily_unavailable"));
    assert!(body(&reply)["error_description"]
        .as_str()
        .unwrap()
        .contains("EDGE_JWT_SIGNING_KEYS"));
}

// Sessions and the token endpoint -----------------------------------------------------------

#[test]
fn a_session_starts_refreshes_replays_within_grace_and_dies_on_reuse() {
    let p = MemoryPlatform::new(settings(&[]));
    let first = start_session(&p, "alice", json!({ "scope": "read" }));
    assert_eq!(first["token_type"], "Bearer");
    let second = refresh(&p, first["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(second.status, 200);
    assert_eq!(second.header("Cache-Control"), Some("no-store"));
    let second = body(&second);
    // Within the grace window the consumed token gets the very same pair back.
    assert_eq!(
        body(&refresh(&p, first["refresh_token"].as_str().unwrap(), &[])),
        second
    );
    p.clock.advance(60);
    let reuse = refresh(&p, first["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(
        error_of(&reuse),
        (
            400,
            "invalid_grant".into(),
            Some("ERR_REFRESH_TOKEN_REUSED".into())
        )
    );
    assert_eq!(p.events().last().unwrap()["event"], "refresh_token_reused");
    // The whole session died: its newest refresh token and its access token too.
    let newest = refresh(&p, second["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(error_of(&newest).1, "invalid_grant");
    assert_eq!(
        introspect(&p, second["access_token"].as_str().unwrap()),
        json!({"active": false})
    );
}

#[test]
fn sessions_need_a_trusted_client_and_strict_json() {
    let p = MemoryPlatform::new(settings(&[]));
    let anonymous = p.handle(post_json("/sessions", &json!({"sub": "a"}), &[]));
    assert_eq!(error_of(&anonymous).0, 401);
    assert!(anonymous
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("Basic"));
    assert_eq!(
        p.events().last().unwrap()["event"],
        "client_authentication_failed"
    );
    let wrong_type = p.handle(Incoming::new(
        "POST",
        &format!("{BASE}/sessions"),
        &[("Authorization", BACKEND), ("Content-Type", "text/plain")],
        b"{}",
    ));
    assert_eq!(error_of(&wrong_type).1, "invalid_request");
    let reserved = p.handle(post_json(
        "/sessions",
        &json!({"sub": "a", "claims": {"sub": "b"}}),
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(
        error_of(&reserved).2.as_deref(),
        Some("ERR_JWT_CLAIM_RESERVED")
    );
    let too_large = p.handle(Incoming::new(
        "POST",
        &format!("{BASE}/sessions"),
        &[
            ("Authorization", BACKEND),
            ("Content-Type", "application/json"),
        ],
        &vec![b' '; 20_000],
    ));
    assert_eq!(error_of(&too_large).0, 413);
}

/// A client configured for its own tokens, one that may only start sessions within its
/// scopes, and the plain-string back end (every permission).
fn permission_settings() -> Rc<Settings> {
    let clients = json!({
        "backend": "0123456789abcdef-secret",
        SERVICE.0: { "secret": SERVICE.1, "scopes": ["reports:read"], "grant_types": ["client_credentials"] },
        "web": { "secret": "web-secret-0123456789", "scopes": ["profile", "orders"], "permissions": ["sessions"] },
    });
    settings(&[(settings::CLIENTS, &clients.to_string())])
}

#[test]
fn a_client_acts_for_users_only_with_the_permission_it_was_given() {
    let p = MemoryPlatform::new(permission_settings());
    let service = basic(SERVICE.0, SERVICE.1);
    let web = basic("web", "web-secret-0123456789");
    let as_admin = json!({"sub": "alice", "claims": {"role": "admin"}});
    // The service client: no session, no subject, no introspection.
    let refused = p.handle(post_json(
        "/sessions",
        &as_admin,
        &[("Authorization", &service)],
    ));
    assert_eq!(
        error_of(&refused),
        (403, "unauthorized_client".into(), None)
    );
    assert!(body(&refused)["error_description"]
        .as_str()
        .unwrap()
        .contains("\"sessions\" permission"));
    let event = p.events().last().unwrap().clone();
    assert_eq!(
        (event["event"].as_str(), event["permission"].as_str()),
        (Some("client_permission_refused"), Some("sessions"))
    );
    assert_eq!(event["client_id"], SERVICE.0);
    let pair = start_session(&p, "alice", json!({}));
    let sid = token_claims(pair["access_token"].as_str().unwrap())["sid"].clone();
    let sid = sid.as_str().unwrap();
    for (request, permission) in [
        (
            get("/subjects/alice/sessions", &[("Authorization", &service)]),
            "subjects",
        ),
        (
            post_json(
                "/subjects/alice/revoke",
                &json!({}),
                &[("Authorization", &service)],
            ),
            "subjects",
        ),
        (
            post_json(
                &format!("/subjects/alice/sessions/{sid}/revoke"),
                &json!({}),
                &[("Authorization", &web)],
            ),
            "subjects",
        ),
        (
            post_form(
                "/introspect",
                &[("token", pair["access_token"].as_str().unwrap())],
                &[("Authorization", &web)],
            ),
            "introspect",
        ),
    ] {
        let reply = p.handle(request);
        assert_eq!(error_of(&reply).0, 403, "{}", reply.body);
        assert_eq!(p.events().last().unwrap()["permission"], permission);
    }
    // Nothing was ended: alice's session still refreshes.
    let pair = body(&refresh(&p, pair["refresh_token"].as_str().unwrap(), &[]));
    assert!(pair["access_token"].is_string(), "{pair}");

    // The web client starts sessions within its scopes only.
    let start = |body: Value| p.handle(post_json("/sessions", &body, &[("Authorization", &web)]));
    let reply = start(json!({"sub": "bob", "scope": "profile orders"}));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(body(&reply)["scope"], "profile orders");
    let reply = start(json!({"sub": "bob", "scope": "profile admin"}));
    assert_eq!(
        error_of(&reply),
        (
            400,
            "invalid_scope".into(),
            Some("ERR_INVALID_SCOPE".into())
        )
    );
    // The plain-string back end keeps every permission and any scope.
    let reply = p.handle(post_json(
        "/sessions",
        &json!({"sub": "carol", "scope": "anything"}),
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let listed = p.handle(get(
        "/subjects/carol/sessions",
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(listed.status, 200);
}

#[test]
fn no_session_looks_like_a_service_token() {
    let p = MemoryPlatform::new(permission_settings());
    // A service's own token: sub is its client_id.
    let service = basic(SERVICE.0, SERVICE.1);
    let own = p.handle(post_form(
        "/token",
        &[("grant_type", "client_credentials")],
        &[("Authorization", &service)],
    ));
    let own = token_claims(body(&own)["access_token"].as_str().unwrap());
    assert_eq!(own["sub"], own["client_id"]);
    // No client can start a session whose sub is its own id.
    for (client, auth) in [
        ("backend", BACKEND.to_owned()),
        ("web", basic("web", "web-secret-0123456789")),
    ] {
        let reply = p.handle(post_json(
            "/sessions",
            &json!({"sub": client}),
            &[("Authorization", &auth)],
        ));
        assert_eq!(error_of(&reply).1, "invalid_request", "{}", reply.body);
    }
}

#[test]
fn the_token_endpoint_refuses_what_is_not_a_refresh_of_this_issuer() {
    let p = MemoryPlatform::new(settings(&[]));
    let pair = start_session(&p, "alice", json!({}));
    let unsupported = p.handle(post_form("/token", &[("grant_type", "password")], &[]));
    assert_eq!(error_of(&unsupported).1, "unsupported_grant_type");
    let access_as_refresh = refresh(&p, pair["access_token"].as_str().unwrap(), &[]);
    assert_eq!(error_of(&access_as_refresh).1, "invalid_grant");
    let other_client = refresh(
        &p,
        pair["refresh_token"].as_str().unwrap(),
        &[("Authorization", &basic(SERVICE.0, SERVICE.1))],
    );
    assert_eq!(
        error_of(&other_client).2.as_deref(),
        Some("ERR_CLIENT_MISMATCH")
    );
    let missing = p.handle(post_form("/token", &[("grant_type", "refresh_token")], &[]));
    assert_eq!(error_of(&missing).1, "invalid_request");
}

#[test]
fn the_client_credentials_grant_for_a_client_given_it() {
    let p = MemoryPlatform::new(settings(&[]));
    let service = basic(SERVICE.0, SERVICE.1);
    let grant = |params: &[(&str, &str)], auth: &str| {
        let mut all = vec![("grant_type", "client_credentials")];
        all.extend_from_slice(params);
        p.handle(post_form("/token", &all, &[("Authorization", auth)]))
    };
    let ok = grant(&[("scope", "reports:read")], &service);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let token = body(&ok);
    assert_eq!(
        (token["token_type"].as_str(), token.get("refresh_token")),
        (Some("Bearer"), None)
    );
    assert_eq!(
        introspect(&p, token["access_token"].as_str().unwrap())["sub"],
        SERVICE.0
    );
    assert_eq!(
        error_of(&grant(&[], &basic(SERVICE.0, "wrong"))).1,
        "invalid_client"
    );
    assert_eq!(
        error_of(&grant(&[("scope", "admin")], &service)).1,
        "invalid_scope"
    );
    assert_eq!(error_of(&grant(&[], BACKEND)).1, "unauthorized_client");
    let none = p.handle(post_form(
        "/token",
        &[("grant_type", "client_credentials")],
        &[],
    ));
    assert_eq!(error_of(&none).1, "invalid_client");
}

// DPoP ----------------------------------------------------------------------------------------

/// A browser's key, and proofs by it for `/token`.
pub(crate) struct Browser {
    keys: KeySet,
    jwk: serde_json::Map<String, Value>,
    n: Cell<u32>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        let keys = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
        let jwk = keys.public_jwks()["keys"][0].as_object().unwrap().clone();
        Browser {
            keys,
            jwk,
            n: Cell::new(0),
        }
    }

    pub(crate) fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.jwk).unwrap()
    }

    pub(crate) fn proof(&self, url: &str) -> String {
        self.proof_with_nonce(url, None, T0)
    }

    /// A proof made at `iat`, carrying the server's `nonce` (RFC 9449 §8).
    pub(crate) fn proof_with_nonce(&self, url: &str, nonce: Option<&str>, iat: u64) -> String {
        self.n.set(self.n.get() + 1);
        let jti = format!("proof-{}", self.n.get());
        let input = proof_signing_input(&ProofClaims {
            jwk: &self.jwk,
            algorithm: Algorithm::EdDSA,
            method: "POST",
            url,
            iat,
            jti: &jti,
            access_token: None,
            nonce,
        })
        .unwrap();
        let PrivateKey::Ed25519(key) = self.keys.signer().private_key() else {
            unreachable!("an EdDSA key")
        };
        let signature = key.key_pair().as_ref().sk.sign(input.as_bytes(), None);
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature.as_ref());
        format!("{input}.{encoded}")
    }
}

#[test]
fn a_bound_session_refreshes_only_with_a_proof_by_its_key() {
    let p = MemoryPlatform::new(settings(&[]));
    let browser = Browser::new();
    let first = start_session(&p, "alice", json!({ "dpop_jkt": browser.thumbprint() }));
    assert_eq!(first["token_type"], "DPoP");
    let token_url = format!("{BASE}/token");
    let rt = first["refresh_token"].as_str().unwrap();

    let stolen = refresh(&p, rt, &[]);
    assert_eq!(error_of(&stolen).1, "invalid_dpop_proof");
    assert_eq!(p.events().last().unwrap()["event"], "dpop_proof_refused");
    let thief = Browser::new();
    let wrong_key = refresh(&p, rt, &[("DPoP", &thief.proof(&token_url))]);
    assert_eq!(
        error_of(&wrong_key).2.as_deref(),
        Some("ERR_DPOP_BINDING_MISMATCH")
    );

    let proof = browser.proof(&token_url);
    let second = refresh(&p, rt, &[("DPoP", &proof)]);
    assert_eq!(second.status, 200, "{}", second.body);
    let second = body(&second);
    let replayed = refresh(
        &p,
        second["refresh_token"].as_str().unwrap(),
        &[("DPoP", &proof)],
    );
    assert_eq!(error_of(&replayed).2.as_deref(), Some("ERR_DPOP_REPLAYED"));
    let elsewhere = refresh(
        &p,
        second["refresh_token"].as_str().unwrap(),
        &[("DPoP", &browser.proof(&format!("{BASE}/revoke")))],
    );
    assert!(body(&elsewhere)["error_description"]
        .as_str()
        .unwrap()
        .contains("htu"));

    let access = introspect(&p, second["access_token"].as_str().unwrap());
    assert_eq!(
        (access["token_type"].as_str(), &access["cnf"]["jkt"]),
        (Some("DPoP"), &json!(browser.thumbprint()))
    );
    let refresh_token = introspect(&p, second["refresh_token"].as_str().unwrap());
    assert_eq!(refresh_token["cnf"]["jkt"], json!(browser.thumbprint()));
}

// Revocation, introspection, subjects -------------------------------------------------------

#[test]
fn a_stolen_copy_of_a_bound_sessions_refresh_token_cannot_end_it_through_revocation() {
    // Second review, finding 6: /revoke holds a bound session's refresh token to its key too.
    let p = MemoryPlatform::new(settings(&[]));
    let browser = Browser::new();
    let first = start_session(&p, "alice", json!({ "dpop_jkt": browser.thumbprint() }));
    let rt = first["refresh_token"].as_str().unwrap();
    let revoke_url = format!("{BASE}/revoke");
    let revoke =
        |headers: &[(&str, &str)]| p.handle(post_form("/revoke", &[("token", rt)], headers));
    let stolen = revoke(&[]);
    assert_eq!(
        error_of(&stolen),
        (
            400,
            "invalid_dpop_proof".into(),
            Some("ERR_DPOP_PROOF_INVALID".into())
        )
    );
    assert_eq!(p.events().last().unwrap()["event"], "dpop_proof_refused");
    let thief = revoke(&[("DPoP", &Browser::new().proof(&revoke_url))]);
    assert_eq!(
        error_of(&thief).2.as_deref(),
        Some("ERR_DPOP_BINDING_MISMATCH")
    );
    // The session lives on; its owner revokes it with a proof by its key.
    let token_url = format!("{BASE}/token");
    let second = refresh(&p, rt, &[("DPoP", &browser.proof(&token_url))]);
    assert_eq!(second.status, 200, "{}", second.body);
    let rt = body(&second)["refresh_token"].as_str().unwrap().to_owned();
    let own = p.handle(post_form(
        "/revoke",
        &[("token", &rt)],
        &[("DPoP", &browser.proof(&revoke_url))],
    ));
    assert_eq!(own.status, 200, "{}", own.body);
    let after = refresh(&p, &rt, &[("DPoP", &browser.proof(&token_url))]);
    assert_eq!(error_of(&after).1, "invalid_grant");
    // An unbound session is revoked with its refresh token alone, as before.
    let plain = start_session(&p, "bob", json!({}));
    let plain_rt = plain["refresh_token"].as_str().unwrap();
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", plain_rt)], &[]))
            .status,
        200
    );
    assert_eq!(error_of(&refresh(&p, plain_rt, &[])).1, "invalid_grant");
}

#[test]
fn a_proofs_jti_is_kept_per_session_so_one_proof_passes_once_in_each_session_of_its_key() {
    // Second review, finding 7, answered in the README: each session's object keeps its own
    // replay set.
    let p = MemoryPlatform::new(settings(&[]));
    let browser = Browser::new();
    let bound = json!({ "dpop_jkt": browser.thumbprint() });
    let (one, two) = (
        start_session(&p, "alice", bound.clone()),
        start_session(&p, "alice", bound),
    );
    let proof = browser.proof(&format!("{BASE}/token"));
    let mut next = Vec::new();
    for pair in [&one, &two] {
        let reply = refresh(
            &p,
            pair["refresh_token"].as_str().unwrap(),
            &[("DPoP", &proof)],
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        next.push(body(&reply));
    }
    for pair in &next {
        let replayed = refresh(
            &p,
            pair["refresh_token"].as_str().unwrap(),
            &[("DPoP", &proof)],
        );
        assert_eq!(error_of(&replayed).2.as_deref(), Some("ERR_DPOP_REPLAYED"));
    }
}

#[test]
fn revoking_an_access_token_or_a_refresh_token_and_introspecting_them() {
    let p = MemoryPlatform::new(settings(&[]));
    let pair = start_session(&p, "alice", json!({}));
    let (at, rt) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(introspect(&p, at)["active"], true);
    assert_eq!(introspect(&p, rt)["token_type"], "refresh_token");
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", at)], &[])).status,
        200
    );
    assert_eq!(introspect(&p, at), json!({"active": false}));
    assert_eq!(p.events().last().unwrap()["event"], "token_revoked");
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", rt)], &[])).status,
        200
    );
    assert_eq!(introspect(&p, rt), json!({"active": false}));
    assert_eq!(error_of(&refresh(&p, rt, &[])).1, "invalid_grant");
    // Unknown tokens answer 200 (RFC 7009), and introspection needs a trusted client.
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", "junk")], &[]))
            .status,
        200
    );
    let anonymous = p.handle(post_form("/introspect", &[("token", at)], &[]));
    assert_eq!(error_of(&anonymous).0, 401);
}

#[test]
fn revocation_is_limited_per_address() {
    let p = MemoryPlatform::new(settings(&[]));
    p.requests_left.set(1);
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", "x")], &[]))
            .status,
        200
    );
    let limited = p.handle(post_form("/revoke", &[("token", "x")], &[]));
    assert_eq!(error_of(&limited).0, 429);
    assert_eq!(limited.header("Retry-After"), Some("60"));
}

#[test]
fn a_failing_revocation_list_fails_closed_and_hides_its_details() {
    let p = MemoryPlatform::new(settings(&[]));
    let pair = start_session(&p, "alice", json!({}));
    p.kv.set_failing(true);
    let reply = p.handle(post_form(
        "/introspect",
        &[("token", pair["access_token"].as_str().unwrap())],
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(
        error_of(&reply),
        (
            503,
            "temporarily_unavailable".into(),
            Some("ERR_STORE_UNAVAILABLE".into())
        )
    );
    assert!(!reply.body.contains("KV"));
}

#[test]
fn a_subject_lists_its_sessions_ends_one_and_is_logged_out_everywhere() {
    let p = MemoryPlatform::new(settings(&[]));
    let laptop = start_session(&p, "alice", json!({}));
    let phone = start_session(&p, "alice", json!({}));
    let auth = [("Authorization", BACKEND)];
    let listed = body(&p.handle(get("/subjects/alice/sessions", &auth)));
    let sids: Vec<&str> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids.len(), 2);
    let phone_sid = introspect(&p, phone["access_token"].as_str().unwrap())["sid"].clone();
    let phone_sid = phone_sid.as_str().unwrap();
    let end = Incoming::new(
        "POST",
        &format!("{BASE}/subjects/alice/sessions/{phone_sid}/revoke"),
        &auth,
        b"",
    );
    assert_eq!(p.handle(end).status, 204);
    assert_eq!(
        error_of(&refresh(&p, phone["refresh_token"].as_str().unwrap(), &[])).1,
        "invalid_grant"
    );
    let again = Incoming::new(
        "POST",
        &format!("{BASE}/subjects/bob/sessions/{phone_sid}/revoke"),
        &auth,
        b"",
    );
    assert_eq!(error_of(&p.handle(again)).0, 404);

    let logout = Incoming::new("POST", &format!("{BASE}/subjects/alice/revoke"), &auth, b"");
    assert_eq!(p.handle(logout).status, 204);
    assert_eq!(p.events().last().unwrap()["event"], "subject_logged_out");
    assert_eq!(
        error_of(&refresh(&p, laptop["refresh_token"].as_str().unwrap(), &[])).1,
        "invalid_grant"
    );
    assert_eq!(
        introspect(&p, laptop["access_token"].as_str().unwrap()),
        json!({"active": false})
    );
    let listed = body(&p.handle(get("/subjects/alice/sessions", &auth)));
    assert_eq!(listed["sessions"], json!([]));
    let bad_path = p.handle(get("/subjects/%ZZ/sessions", &auth));
    assert_eq!(error_of(&bad_path).0, 400);
}

#[test]
fn a_login_past_the_cap_evicts_the_least_recently_refreshed_session_with_an_event() {
    let p = MemoryPlatform::new(settings(&[(settings::MAX_SESSIONS, "3")]));
    let pairs: Vec<Value> = (0..3)
        .map(|_| {
            let pair = start_session(&p, "alice", json!({}));
            p.clock.advance(1);
            pair
        })
        .collect();
    let sid_of = |pair: &Value| {
        let claims = token_claims(pair["access_token"].as_str().unwrap());
        claims["sid"].as_str().unwrap().to_owned()
    };
    let evictions = |p: &MemoryPlatform| {
        let events = p.events();
        let evicted = events.iter().filter(|e| e["event"] == "session_evicted");
        evicted
            .map(|e| e["sid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // A session logged out through /revoke is forgotten: the next login evicts nothing.
    let token = pairs[2]["refresh_token"].as_str().unwrap();
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", token)], &[]))
            .status,
        200
    );
    start_session(&p, "alice", json!({}));
    assert!(evictions(&p).is_empty());
    // The oldest is refreshed a day later, so the second is the least recently refreshed.
    p.clock.advance(86_400);
    let refreshed = refresh(&p, pairs[0]["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(refreshed.status, 200);
    start_session(&p, "alice", json!({}));
    assert_eq!(evictions(&p), [sid_of(&pairs[1])]);
    let event = p
        .events()
        .into_iter()
        .find(|e| e["event"] == "session_evicted")
        .unwrap();
    assert_eq!(event["sub"], "alice");
    let evicted = refresh(&p, pairs[1]["refresh_token"].as_str().unwrap(), &[]);
    assert_eq!(error_of(&evicted).1, "invalid_grant");
    // Listing reads the subject's object alone, whatever the number of sessions.
    let before = p.session_calls.get();
    let listed = p.handle(get(
        "/subjects/alice/sessions",
        &[("Authorization", BACKEND)],
    ));
    assert_eq!(p.session_calls.get(), before);
    let listed = body(&listed)["sessions"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 3);
    assert!(listed
        .iter()
        .all(|s| s["sid"] != sid_of(&pairs[1]).as_str()));
}

#[test]
fn the_demo_logs_in_answers_its_resource_and_logs_out_everywhere() {
    let p = MemoryPlatform::new(settings(&[(settings::DEMO_LOGIN, "true")]));
    let login = p.handle(post_json("/demo/login", &json!({"name": "alice"}), &[]));
    assert_eq!(login.status, 201);
    let pair = body(&login);
    let bearer = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    let me = p.handle(get("/demo/me", &[("Authorization", &bearer)]));
    assert_eq!(
        (me.status, body(&me)["sub"].as_str()),
        (200, Some("demo:alice"))
    );
    let nobody = p.handle(get("/demo/me", &[]));
    assert_eq!(error_of(&nobody).0, 401);
    assert!(nobody
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("Bearer error=\"invalid_token\""));
    let out = Incoming::new(
        "POST",
        &format!("{BASE}/demo/logout-everywhere"),
        &[("Authorization", &bearer)],
        b"",
    );
    assert_eq!(p.handle(out).status, 204);
    assert_eq!(
        error_of(&p.handle(get("/demo/me", &[("Authorization", &bearer)]))).0,
        401
    );
}

#[test]
fn demo_tokens_have_an_audience_of_their_own_that_the_real_resources_refuse() {
    let p = MemoryPlatform::new(settings(&[(settings::DEMO_LOGIN, "true")]));
    let login = body(&p.handle(post_json("/demo/login", &json!({"name": "eve"}), &[])));
    let demo_token = login["access_token"].as_str().unwrap();
    assert_eq!(token_claims(demo_token)["aud"], format!("{BASE}/demo"));
    // Refused for the API's audience (what any real resource checks).
    let err = p.settings.issuer.verify_access(demo_token, T0).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_CLAIM_VALIDATION_FAILED");
    // And the demo resource takes no token of the real audience.
    let real = start_session(&p, "alice", json!({}));
    let bearer = format!("Bearer {}", real["access_token"].as_str().unwrap());
    let me = p.handle(get("/demo/me", &[("Authorization", &bearer)]));
    assert_eq!(error_of(&me).0, 401);
    // Refreshed demo tokens keep their audience.
    let refreshed = body(&refresh(&p, login["refresh_token"].as_str().unwrap(), &[]));
    let claims = token_claims(refreshed["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], format!("{BASE}/demo"));
    // The issuer still introspects and revokes its demo tokens.
    let token = refreshed["access_token"].as_str().unwrap();
    assert_eq!(introspect(&p, token)["aud"], format!("{BASE}/demo"));
    assert_eq!(
        p.handle(post_form("/revoke", &[("token", token)], &[]))
            .status,
        200
    );
    let bearer = format!("Bearer {token}");
    let me = p.handle(get("/demo/me", &[("Authorization", &bearer)]));
    assert_eq!(error_of(&me).2.as_deref(), Some("ERR_JWT_REVOKED"));
}

#[test]
fn the_store_contract_runs_against_kv_and_an_object_when_turned_on() {
    let p = MemoryPlatform::new(settings(&[(settings::STORE_CONFORMANCE, "true")]));
    let reply = p.handle(Incoming::new(
        "POST",
        &format!("{BASE}/test/store-conformance"),
        &[],
        b"",
    ));
    assert_eq!(reply.status, 200);
    assert_eq!(body(&reply), json!({"kv": null, "durable_object": null}));
}

#[test]
fn public_json_is_cacheable_and_token_answers_are_not() {
    let p = MemoryPlatform::new(settings(&[]));
    let jwks = p.handle(get("/.well-known/jwks.json", &[]));
    assert_eq!(jwks.header("Cache-Control"), Some("public, max-age=300"));
    assert_eq!(body(&jwks)["keys"].as_array().unwrap().len(), 1);
    let metadata = body(&p.handle(get("/.well-known/oauth-authorization-server", &[])));
    assert_eq!(
        metadata["dpop_signing_alg_values_supported"],
        json!(["EdDSA", "ES256"])
    );
    assert_eq!(
        p.handle(get("/healthz", &[])).header("Cache-Control"),
        Some("no-store")
    );
}

#[test]
fn the_keys_endpoints_need_the_keys_permission_and_managed_keys() {
    let p = MemoryPlatform::new(permission_settings());
    let web = basic("web", "web-secret-0123456789");
    let refused = p.handle(get("/keys", &[("Authorization", &web)]));
    assert_eq!(
        error_of(&refused).0,
        403,
        "a client without the keys permission"
    );
    // A trusted back end has it, but static keys (EDGE_JWT_KEY_ROTATION unset) have no ring.
    let backend = basic("backend", "0123456789abcdef-secret");
    for req in [
        get("/keys", &[("Authorization", &backend)]),
        post_form("/keys/rotate", &[], &[("Authorization", &backend)]),
        post_form("/keys/abc/revoke", &[], &[("Authorization", &backend)]),
    ] {
        assert_eq!(error_of(&p.handle(req)).0, 404);
    }
    assert_eq!(
        error_of(&p.handle(post_form("/keys/a%2Fb/revoke", &[], &[]))).0,
        400
    );
}
