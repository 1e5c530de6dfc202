//! The router: each handler parses, calls the core (here or in the session's Durable Object),
//! and answers. Every failure becomes an RFC 6749 JSON error; nothing answers 500.

use std::rc::Rc;

use edge_jwt_core::session::{IssuedToken, RevocationTarget};
use edge_jwt_core::{Clock, RevocationList};
use serde_json::json;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::api::error::Presented;
use crate::api::form::{self, Form};
use crate::api::responses;
use crate::api::settings::Settings;
use crate::api::ApiError;
use crate::clock::WorkerClock;
use crate::http;
use crate::kv::{KvRevocations, BINDING};
use crate::session_object::{SessionCall, NAMESPACE};
use crate::settings;

type Answer = Result<Response, ApiError>;

const FORM: &str = "application/x-www-form-urlencoded";

/// Handles one request; always answers.
pub async fn handle(req: Request, env: Env) -> worker::Result<Response> {
    let origin = http::header(&req, "Origin");
    let settings = settings::load(&env);
    let answer = match &settings {
        Err(err) => Err(err.clone()),
        Ok(settings) => route(req, &env, settings).await,
    };
    let response = match answer {
        Ok(response) => response,
        Err(err) => http::error(&err)?,
    };
    match (origin, settings) {
        (Some(origin), Ok(settings)) if settings.allows_origin(&origin) => cors(response, &origin),
        _ => Ok(response),
    }
}

async fn route(req: Request, env: &Env, settings: &Rc<Settings>) -> Answer {
    let path = req.path();
    let method = req.method();
    let (allowed, allow): (&[Method], &'static str) = match path.as_str() {
        "/healthz" | "/.well-known/jwks.json" | "/.well-known/oauth-authorization-server" => {
            (&[Method::Get, Method::Head], "GET, HEAD, OPTIONS")
        }
        "/sessions" | "/token" | "/revoke" | "/introspect" => (&[Method::Post], "POST, OPTIONS"),
        p if subject_of(p).is_some() => (&[Method::Post], "POST, OPTIONS"),
        // The demo's routes exist only when the local configuration turns the demo on.
        "/demo/login" if settings.demo_login => (&[Method::Post], "POST, OPTIONS"),
        "/demo/me" if settings.demo_login => (&[Method::Get], "GET, OPTIONS"),
        "/demo/logout-everywhere" if settings.demo_login => (&[Method::Post], "POST, OPTIONS"),
        _ => return Err(ApiError::not_found()),
    };
    if method == Method::Options {
        return http::empty(204);
    }
    if !allowed.contains(&method) {
        return Err(ApiError::method_not_allowed(allow));
    }
    match path.as_str() {
        "/healthz" => http::tokens(200, &json!({"status": "ok"})),
        "/.well-known/jwks.json" => public_json(settings.public_jwks.clone()),
        "/.well-known/oauth-authorization-server" => {
            public_json(responses::metadata(&settings.issuer).to_string())
        }
        "/sessions" => start_session(req, env, settings).await,
        "/token" => token(req, env, settings).await,
        "/revoke" => revoke(req, env, settings).await,
        "/introspect" => introspect(req, env, settings).await,
        "/demo/login" => demo_login(req, env).await,
        "/demo/me" => demo_me(req, env, settings).await,
        "/demo/logout-everywhere" => demo_logout_everywhere(req, env, settings).await,
        p => {
            let sub = subject_of(p).unwrap_or_default();
            revoke_subject(req, env, settings, sub).await
        }
    }
}

/// `/subjects/{sub}/revoke` → the decoded `sub`.
fn subject_of(path: &str) -> Option<String> {
    let sub = path.strip_prefix("/subjects/")?.strip_suffix("/revoke")?;
    (!sub.is_empty() && !sub.contains('/'))
        .then(|| form::decode(sub).ok())
        .flatten()
}

/// `POST /sessions`: a trusted client starts a session for a user it authenticated.
async fn start_session(mut req: Request, env: &Env, settings: &Settings) -> Answer {
    let client_id = settings
        .clients
        .authenticate(http::header(&req, "Authorization").as_deref())?;
    form::require_media_type(
        http::header(&req, "Content-Type").as_deref(),
        "application/json",
    )?;
    let body = String::from_utf8(http::body(&mut req).await?)
        .map_err(|_| ApiError::invalid_request("body is not UTF-8"))?;
    begin_session(env, client_id, body).await
}

/// `POST /demo/login` (demo only): `{"name": "..."}` logs in as `demo:<name>`, no password.
async fn demo_login(mut req: Request, env: &Env) -> Answer {
    form::require_media_type(
        http::header(&req, "Content-Type").as_deref(),
        "application/json",
    )?;
    let body = http::body(&mut req).await?;
    let name = responses::demo_name(&body)?;
    let session =
        json!({ "sub": format!("demo:{name}"), "claims": { "name": name }, "scope": "demo" });
    begin_session(env, "demo".to_owned(), session.to_string()).await
}

/// `GET /demo/me` (demo only): a protected resource. It answers the bearer token's claims, or
/// 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750).
async fn demo_me(req: Request, env: &Env, settings: &Settings) -> Answer {
    let bearer = bearer_token(&req);
    let bearer_error = |e: edge_jwt_core::Error| ApiError::from_core(&e, Presented::Bearer);
    let claims = settings
        .issuer
        .verify_access(&bearer, WorkerClock.now())
        .map_err(bearer_error)?;
    revocations(env, settings)?
        .check(claims.ids())
        .await
        .map_err(bearer_error)?;
    http::tokens(200, claims.claims.as_map())
}

/// `POST /demo/logout-everywhere` (demo only): the bearer's subject is logged out everywhere,
/// as a trusted back end would do with `/subjects/{sub}/revoke`.
async fn demo_logout_everywhere(req: Request, env: &Env, settings: &Settings) -> Answer {
    let bearer = bearer_token(&req);
    let claims = settings
        .issuer
        .verify_access(&bearer, WorkerClock.now())
        .map_err(|e| ApiError::from_core(&e, Presented::Bearer))?;
    revocations(env, settings)?
        .log_out_everywhere(&claims.sub, WorkerClock.now(), settings.issuer.policy())
        .await
        .map_err(|e| ApiError::from_core(&e, Presented::Grant))?;
    http::empty(204)
}

/// The token of `Authorization: Bearer …` (RFC 6750 §2.1), or empty.
fn bearer_token(req: &Request) -> String {
    http::header(req, "Authorization")
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default()
}

async fn begin_session(env: &Env, client_id: String, body: String) -> Answer {
    let sid =
        edge_jwt_core::random::new_id().map_err(|e| ApiError::from_core(&e, Presented::Grant))?;
    let call = SessionCall::Start {
        sid: sid.clone(),
        client_id,
        body,
    };
    call_session(env, &sid, &call).await
}

/// `POST /token` (RFC 6749 §6): refresh-token rotation in the session's Durable Object.
async fn token(mut req: Request, env: &Env, settings: &Settings) -> Answer {
    let form = read_form(&mut req).await?;
    match form.require("grant_type")? {
        "refresh_token" => {}
        _ => {
            return Err(ApiError::new(
                400,
                "unsupported_grant_type",
                "only grant_type=refresh_token is supported",
            ))
        }
    }
    let refresh_token = form.require("refresh_token")?;
    // Refused here already when it is not a valid refresh token: no object is woken for it.
    let claims = settings
        .issuer
        .verify_refresh(refresh_token, WorkerClock.now())
        .map_err(|e| ApiError::from_core(&e, Presented::Grant))?;
    let sid = claims.sid.clone();
    call_session(env, &sid, &SessionCall::Refresh { claims }).await
}

/// `POST /revoke` (RFC 7009): no client authentication; unknown tokens answer 200.
async fn revoke(mut req: Request, env: &Env, settings: &Settings) -> Answer {
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    let now = WorkerClock.now();
    match settings.issuer.revocation_target(token, now) {
        None => {}
        Some(RevocationTarget::Token { jti, exp }) => {
            revocations(env, settings)?
                .revoke_token(&jti, exp, now)
                .await
                .map_err(|e| ApiError::from_core(&e, Presented::Grant))?;
        }
        Some(RevocationTarget::Session(claims)) => {
            let sid = claims.sid.clone();
            let answer = call_session(env, &sid, &SessionCall::End { claims }).await?;
            if answer.status_code() >= 500 {
                return Ok(answer);
            }
        }
    }
    http::empty(200)
}

/// `POST /introspect` (RFC 7662), for trusted clients.
async fn introspect(mut req: Request, env: &Env, settings: &Settings) -> Answer {
    settings
        .clients
        .authenticate(http::header(&req, "Authorization").as_deref())?;
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    let Ok(verified) = settings.issuer.verify_any(token, WorkerClock.now()) else {
        return http::tokens(200, &responses::inactive());
    };
    let (ids, answer) = match &verified {
        IssuedToken::Access(claims) => (
            claims.ids(),
            responses::introspection(claims.claims.as_map(), "access_token"),
        ),
        IssuedToken::Refresh(claims) => (
            claims.ids(),
            json!({
                "active": true, "token_type": "refresh_token", "sub": claims.sub,
                "sid": claims.sid, "jti": claims.jti, "client_id": claims.client_id,
                "iat": claims.iat, "exp": claims.exp, "iss": settings.issuer.policy().issuer,
            }),
        ),
    };
    match revocations(env, settings)?.check(ids).await {
        Ok(_) => http::tokens(200, &answer),
        Err(edge_jwt_core::Error::Revoked(_)) => http::tokens(200, &responses::inactive()),
        Err(e) => Err(ApiError::from_core(&e, Presented::Grant)),
    }
}

/// `POST /subjects/{sub}/revoke`: log a subject out everywhere (trusted clients).
async fn revoke_subject(req: Request, env: &Env, settings: &Settings, sub: String) -> Answer {
    settings
        .clients
        .authenticate(http::header(&req, "Authorization").as_deref())?;
    revocations(env, settings)?
        .log_out_everywhere(&sub, WorkerClock.now(), settings.issuer.policy())
        .await
        .map_err(|e| ApiError::from_core(&e, Presented::Grant))?;
    http::empty(204)
}

async fn read_form(req: &mut Request) -> Result<Form, ApiError> {
    form::require_media_type(http::header(req, "Content-Type").as_deref(), FORM)?;
    Form::parse(&http::body(req).await?)
}

fn revocations(env: &Env, settings: &Settings) -> Result<RevocationList<KvRevocations>, ApiError> {
    let kv = env
        .kv(BINDING)
        .map_err(|_| ApiError::misconfigured(BINDING, "is not bound"))?;
    Ok(RevocationList::new(
        KvRevocations(kv),
        settings.issuer.policy().leeway,
    ))
}

/// Sends `call` to the Durable Object of session `sid` and passes its answer on.
async fn call_session(env: &Env, sid: &str, call: &SessionCall) -> Answer {
    let stub = env
        .durable_object(NAMESPACE)
        .and_then(|ns| ns.id_from_name(sid)?.get_stub())
        .map_err(|_| ApiError::misconfigured(NAMESPACE, "is not bound"))?;
    let body = serde_json::to_string(call)
        .map_err(|_| ApiError::invalid_request("unencodable session call"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let request =
        Request::new_with_init("https://session.internal/", &init).map_err(http::internal)?;
    stub.fetch_with_request(request)
        .await
        .map_err(http::internal)
}

/// JSON that caches may keep (public keys, metadata): five minutes.
fn public_json(text: String) -> Answer {
    let headers = Headers::new();
    headers
        .set("Content-Type", "application/json;charset=UTF-8")
        .and_then(|_| headers.set("Cache-Control", "public, max-age=300"))
        .and_then(|_| Response::ok(text))
        .map(|r| r.with_headers(headers))
        .map_err(http::internal)
}

fn cors(response: Response, origin: &str) -> worker::Result<Response> {
    let headers = response.headers().clone();
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.append("Vary", "Origin")?;
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    headers.set(
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type",
    )?;
    headers.set("Access-Control-Max-Age", "600")?;
    Ok(response.with_headers(headers))
}
