//! The handlers: each parses the request, makes one call to the core (here, or in a session's
//! or subject's Durable Object), and answers. Every failure is an `ApiError` (RFC 6749 JSON
//! with a status), reached with `?`.

use std::rc::Rc;

use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::issuer::{grant_scope, IssuedToken, RevocationTarget};
use edge_jwt_core::{Clock, Presentation, RevocationList};
use serde_json::json;
use worker::{Env, Request, Response};

use crate::api::auth::CLIENT_CREDENTIALS;
use crate::api::error::Presented;
use crate::api::form::{self, Form};
use crate::api::responses::{self, DemoLogin, SessionRequest};
use crate::api::routes::Route;
use crate::api::settings::Settings;
use crate::api::ApiError;
use crate::clock::WorkerClock;
use crate::dpop;
use crate::events::{self, Event, Subjects};
use crate::http;
use crate::kv::{self, KvRevocations};
use crate::objects::calls::{
    End, EndSession, LogOutEverywhere, ObjectCall, ObjectRef, Refresh, Register, RevokeToken,
    Sessions, Start, Status, StoreConformance,
};
use crate::settings;

type Answer = Result<Response, ApiError>;

const FORM: &str = "application/x-www-form-urlencoded";
/// The unauthenticated endpoints' per-address limit (`[[ratelimits]]` in wrangler.toml).
const RATE_LIMIT: &str = "EDGE_JWT_RATE_LIMIT";

/// One request's context: the settings, the bindings, the client's address.
struct Ctx<'a> {
    env: &'a Env,
    settings: &'a Settings,
    client_address: Option<String>,
}

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
    let allowed = match (&origin, &settings) {
        (Some(origin), Ok(settings)) if settings.allows_origin(origin) => Some(origin.as_str()),
        _ => None,
    };
    http::cors(response, allowed)
}

async fn route(req: Request, env: &Env, settings: &Rc<Settings>) -> Answer {
    let (route, methods) =
        Route::resolve(&req.path(), settings.demo_login, settings.store_conformance)?;
    let method = req.method().to_string();
    if method == "OPTIONS" {
        return http::empty(204);
    }
    if !methods.allows(&method) {
        return Err(ApiError::method_not_allowed(methods.allow()));
    }
    let ctx = Ctx {
        env,
        settings,
        client_address: http::header(&req, "CF-Connecting-IP"),
    };
    match route {
        Route::Health => http::tokens(200, &json!({"status": "ok"})),
        Route::Jwks => http::public_json(settings.public_jwks.clone()),
        Route::Metadata => http::public_json(responses::metadata(&settings.issuer).to_string()),
        Route::StartSession => start_session(req, &ctx).await,
        Route::Token => token(req, &ctx).await,
        Route::Revoke => revoke(req, &ctx).await,
        Route::Introspect => introspect(req, &ctx).await,
        Route::LogOutSubject { sub } => log_out_subject(req, &ctx, &sub).await,
        Route::SubjectSessions { sub } => subject_sessions(req, &ctx, &sub).await,
        Route::EndSubjectSession { sub, sid } => end_subject_session(req, &ctx, &sub, &sid).await,
        Route::DemoLogin => demo_login(req, &ctx).await,
        Route::DemoMe => demo_me(req, &ctx).await,
        Route::DemoLogoutEverywhere => demo_logout_everywhere(req, &ctx).await,
        Route::StoreConformance => store_conformance(&ctx).await,
    }
}

impl Ctx<'_> {
    /// A call to the Durable Object named `name` (a session's `sid`, a subject's `sub`; the
    /// call says which namespace), answered with the call's own reply type.
    async fn call<C: ObjectCall>(&self, name: &str, call: C) -> Result<C::Reply, ApiError> {
        ObjectRef {
            env: self.env,
            name,
        }
        .call(call)
        .await
    }

    fn revocations(&self) -> Result<RevocationList<KvRevocations>, ApiError> {
        kv::revocation_list(self.env, self.settings.issuer.policy().leeway)
    }

    /// A trusted client, from `Authorization: Basic` (a failure is logged as an event).
    fn authenticate(&self, req: &Request) -> Result<String, ApiError> {
        self.settings
            .clients
            .authenticate(http::header(req, "Authorization").as_deref())
            .inspect_err(|_| self.event(Event::ClientAuthenticationFailed, Subjects::default()))
    }

    /// The unauthenticated endpoints' limit per client address. Without the binding (a
    /// deployment that removed it), nothing is limited.
    async fn limit(&self) -> Result<(), ApiError> {
        let Ok(limiter) = self.env.rate_limiter(RATE_LIMIT) else {
            return Ok(());
        };
        let key = self
            .client_address
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        let outcome = limiter
            .limit(key)
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        if outcome.success {
            Ok(())
        } else {
            Err(ApiError::too_many_requests("60"))
        }
    }

    fn event(&self, event: Event, about: Subjects<'_>) {
        events::emit(event, about, self.client_address.as_deref());
    }
}

/// `POST /sessions`: a trusted client starts a session for a user it authenticated.
async fn start_session(mut req: Request, ctx: &Ctx<'_>) -> Answer {
    let client_id = ctx.authenticate(&req)?;
    form::require_media_type(
        http::header(&req, "Content-Type").as_deref(),
        "application/json",
    )?;
    let body = http::body(&mut req).await?;
    begin_session(ctx, SessionRequest::parse(&body, client_id)?).await
}

/// Registers the session with its subject (which dates it after any logout), then starts it
/// in its own object.
async fn begin_session(ctx: &Ctx<'_>, request: edge_jwt_core::NewSession) -> Answer {
    // Refused before the subject's object is woken (the session's object checks again).
    request.validate()?;
    let sid = edge_jwt_core::random::new_id()?;
    let register = Register {
        sid: sid.clone(),
        client_id: request.client_id.clone(),
    };
    let min_iat = ctx.call(&request.sub, register).await?;
    let start = Start {
        sid: sid.clone(),
        request,
        min_iat,
    };
    http::tokens(201, &ctx.call(&sid, start).await?)
}

/// `POST /token` (RFC 6749 §6): refresh-token rotation in the session's Durable Object. A
/// client that presents credentials is checked (RFC 6749 §2.3) and refreshes only its own. A
/// `DPoP` proof (RFC 9449 §5) is checked against the request here; its binding and its `jti`
/// are checked by the session's object.
async fn token(mut req: Request, ctx: &Ctx<'_>) -> Answer {
    let client = match http::header(&req, "Authorization") {
        Some(_) => Some(ctx.authenticate(&req)?),
        None => None,
    };
    let proof = dpop::token_request_proof(&req)?;
    let form = read_form(&mut req).await?;
    match form.require("grant_type")? {
        "refresh_token" => {}
        "client_credentials" => return client_credentials(client, proof, &form, ctx),
        _ => {
            return Err(ApiError::new(
                400,
                "unsupported_grant_type",
                "grant_type must be refresh_token or client_credentials",
            ))
        }
    }
    // Refused here already when it is not a valid refresh token: no object is woken for it.
    let claims = ctx
        .settings
        .issuer
        .verify_refresh(form.require("refresh_token")?, WorkerClock.now())?;
    claims.check_client(client.as_deref())?;
    let sid = claims.sid.clone();
    let about = || Subjects {
        sid: Some(&claims.sid),
        sub: Some(&claims.sub),
        client_id: Some(&claims.client_id),
        jti: Some(&claims.jti),
    };
    let call = Refresh {
        claims: claims.clone(),
        presented: Presentation {
            proof,
            client_authenticated: client.is_some(),
        },
    };
    match ctx.call(&sid, call).await {
        Ok(pair) => http::tokens(200, &pair),
        Err(err) => {
            match err.code {
                Some("ERR_REFRESH_TOKEN_REUSED") => ctx.event(Event::RefreshTokenReused, about()),
                Some(
                    "ERR_DPOP_PROOF_INVALID" | "ERR_DPOP_BINDING_MISMATCH" | "ERR_DPOP_REPLAYED",
                ) => ctx.event(Event::DpopProofRefused, about()),
                _ => {}
            }
            Err(err)
        }
    }
}

/// `grant_type=client_credentials` (RFC 6749 §4.4): a trusted client given the grant gets an
/// access token for itself, with scopes it may ask for, and no refresh token; bound to the key
/// of a `DPoP` proof if the request has one.
fn client_credentials(
    client: Option<String>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_>,
) -> Answer {
    let Some(client_id) = client else {
        return Err(ApiError::invalid_client());
    };
    let settings = ctx.settings.clients.get(&client_id);
    let allowed = settings.is_some_and(|c| c.grant_types.iter().any(|g| g == CLIENT_CREDENTIALS));
    if !allowed {
        return Err(edge_jwt_core::Error::UnauthorizedClient(CLIENT_CREDENTIALS.to_owned()).into());
    }
    let scopes = settings.map(|c| c.scopes.as_slice()).unwrap_or_default();
    let scope = grant_scope(form.get("scope"), scopes)?;
    if let Some(proof) = &proof {
        dpop::remember(proof)?;
    }
    let token = ctx.settings.issuer.issue_client_token(
        &client_id,
        scope,
        proof.as_ref().map(|p| p.jkt.as_str()),
        WorkerClock.now(),
    )?;
    http::tokens(200, &token)
}

/// `POST /revoke` (RFC 7009): no client authentication, limited per address; unknown tokens
/// answer 200. Revoking something already revoked writes nothing.
async fn revoke(mut req: Request, ctx: &Ctx<'_>) -> Answer {
    ctx.limit().await?;
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    match ctx
        .settings
        .issuer
        .revocation_target(token, WorkerClock.now())
    {
        None => {}
        Some(RevocationTarget::Token(claims)) => {
            let call = RevokeToken {
                jti: claims.jti.clone(),
                exp: claims.exp,
            };
            if ctx.call(&claims.sid, call).await? {
                let about = Subjects {
                    sid: Some(&claims.sid),
                    sub: Some(&claims.sub),
                    client_id: Some(&claims.client_id),
                    jti: Some(&claims.jti),
                };
                ctx.event(Event::TokenRevoked, about);
            }
        }
        Some(RevocationTarget::Session(claims)) => {
            let call = End {
                sid: claims.sid.clone(),
            };
            if ctx.call(&claims.sid, call).await? {
                let about = Subjects {
                    sid: Some(&claims.sid),
                    sub: Some(&claims.sub),
                    client_id: Some(&claims.client_id),
                    ..Subjects::default()
                };
                ctx.event(Event::SessionRevoked, about);
            }
        }
    }
    http::empty(200)
}

/// `POST /introspect` (RFC 7662), for trusted clients. A refresh token is active only while
/// its session's object says it still refreshes.
async fn introspect(mut req: Request, ctx: &Ctx<'_>) -> Answer {
    ctx.authenticate(&req)?;
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    let Ok(verified) = ctx.settings.issuer.verify_any(token, WorkerClock.now()) else {
        return http::tokens(200, &responses::inactive());
    };
    match verified {
        IssuedToken::Access(claims) => match ctx.revocations()?.check(claims.ids()).await {
            Ok(_) => http::tokens(200, &responses::introspection(claims.claims.as_map())),
            Err(edge_jwt_core::Error::Revoked(_)) => http::tokens(200, &responses::inactive()),
            Err(e) => Err(e.into()),
        },
        IssuedToken::Refresh(claims) => {
            let call = Status {
                sid: claims.sid.clone(),
                refresh_jti: Some(claims.jti.clone()),
            };
            match ctx.call(&claims.sid, call).await? {
                Some(status) if status.live => {
                    let mut answer = json!({
                        "active": true, "token_type": "refresh_token", "sub": claims.sub,
                        "sid": claims.sid, "jti": claims.jti, "client_id": claims.client_id,
                        "iat": claims.iat, "exp": claims.exp,
                        "iss": ctx.settings.issuer.policy().issuer,
                    });
                    // A bound session's refresh token is bound to its key (RFC 9449 §6.2).
                    if let Some(jkt) = status.jkt {
                        answer["cnf"] = json!({ "jkt": jkt });
                    }
                    http::tokens(200, &answer)
                }
                _ => http::tokens(200, &responses::inactive()),
            }
        }
    }
}

/// `POST /subjects/{sub}/revoke`: log a subject out everywhere (trusted clients). When it
/// answers 204, every session of the subject started before is ended in its own object.
async fn log_out_subject(req: Request, ctx: &Ctx<'_>, sub: &str) -> Answer {
    ctx.authenticate(&req)?;
    log_out_everywhere(ctx, sub).await
}

async fn log_out_everywhere(ctx: &Ctx<'_>, sub: &str) -> Answer {
    ctx.call(sub, LogOutEverywhere {}).await?;
    ctx.event(
        Event::SubjectLoggedOut,
        Subjects {
            sub: Some(sub),
            ..Subjects::default()
        },
    );
    http::empty(204)
}

/// `GET /subjects/{sub}/sessions` (trusted clients): the subject's live sessions.
async fn subject_sessions(req: Request, ctx: &Ctx<'_>, sub: &str) -> Answer {
    ctx.authenticate(&req)?;
    let sessions = ctx.call(sub, Sessions {}).await?;
    let sessions: Vec<_> = sessions.iter().map(responses::session_summary).collect();
    http::tokens(200, &json!({ "sub": sub, "sessions": sessions }))
}

/// `POST /subjects/{sub}/sessions/{sid}/revoke` (trusted clients): ends one session ("log out
/// that device"); 404 when the subject has no such session.
async fn end_subject_session(req: Request, ctx: &Ctx<'_>, sub: &str, sid: &str) -> Answer {
    ctx.authenticate(&req)?;
    let call = EndSession {
        sid: sid.to_owned(),
    };
    match ctx.call(sub, call).await {
        Err(err) if err.code == Some("ERR_SESSION_NOT_FOUND") => Err(ApiError::new(
            404,
            "not_found",
            "the subject has no such live session",
        )),
        Err(err) => Err(err),
        Ok(_) => {
            let about = Subjects {
                sid: Some(sid),
                sub: Some(sub),
                ..Subjects::default()
            };
            ctx.event(Event::SessionRevoked, about);
            http::empty(204)
        }
    }
}

/// `POST /demo/login` (demo only): `{"name": "..."}` logs in as `demo:<name>`, no password;
/// with `dpop_jkt`, the session is bound to that key.
async fn demo_login(mut req: Request, ctx: &Ctx<'_>) -> Answer {
    ctx.limit().await?;
    form::require_media_type(
        http::header(&req, "Content-Type").as_deref(),
        "application/json",
    )?;
    let login = DemoLogin::parse(&http::body(&mut req).await?)?;
    let name = &login.name;
    let session = json!({
        "sub": format!("demo:{name}"), "claims": { "name": name }, "scope": "demo",
        "dpop_jkt": login.dpop_jkt,
    });
    begin_session(
        ctx,
        SessionRequest::parse(session.to_string().as_bytes(), "demo".to_owned())?,
    )
    .await
}

/// The verified, unrevoked access token of a request to a protected resource: `Bearer`, or
/// `DPoP` with a proof by its key. Else 401 with `WWW-Authenticate` (RFC 6750, RFC 9449 §7.1).
async fn access(req: &Request, ctx: &Ctx<'_>) -> Result<edge_jwt_core::AccessClaims, ApiError> {
    let claims = dpop::resource_claims(req, ctx.settings)?;
    ctx.revocations()?
        .check(claims.ids())
        .await
        .map_err(|e| ApiError::from_core(&e, Presented::Resource))?;
    Ok(claims)
}

/// `GET /demo/me` (demo only): a protected resource answering the access token's claims.
async fn demo_me(req: Request, ctx: &Ctx<'_>) -> Answer {
    let claims = access(&req, ctx).await?;
    http::tokens(200, claims.claims.as_map())
}

/// `POST /demo/logout-everywhere` (demo only): the bearer's subject is logged out everywhere,
/// as a trusted back end would do with `/subjects/{sub}/revoke`.
async fn demo_logout_everywhere(req: Request, ctx: &Ctx<'_>) -> Answer {
    let claims = access(&req, ctx).await?;
    log_out_everywhere(ctx, &claims.sub).await
}

/// `POST /test/store-conformance` (tests only): the core's store contract, run against the
/// deployed stores themselves: Workers KV here, and a Durable Object's storage in the object.
async fn store_conformance(ctx: &Ctx<'_>) -> Answer {
    let run = edge_jwt_core::random::new_id()?;
    let prefix = format!("conformance:{run}");
    let revocations = ctx.revocations()?;
    let kv =
        edge_jwt_core::conformance::check_store(revocations.store(), WorkerClock.now(), &prefix)
            .await
            .err();
    let call = StoreConformance {
        prefix: prefix.clone(),
    };
    let object = ctx.call(&prefix, call).await?;
    http::tokens(200, &json!({ "kv": kv, "durable_object": object }))
}

async fn read_form(req: &mut Request) -> Result<Form, ApiError> {
    form::require_media_type(http::header(req, "Content-Type").as_deref(), FORM)?;
    Form::parse(&http::body(req).await?)
}
