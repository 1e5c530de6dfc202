//! The handlers: each parses the request, makes one call to the core (here, or in a session's
//! or subject's Durable Object), and answers. Every failure is an `ApiError` (RFC 6749 JSON
//! with a status), reached with `?`. They see the runtime only through [`Platform`] and plain
//! requests and answers, so the Worker runs them as they are tested: over the core's stores.

use std::rc::Rc;

use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::issuer::{grant_scope, IssuedToken, RevocationTarget};
use edge_jwt_core::subject::refresh_notice_due;
use edge_jwt_core::{Presentation, RevocationList};
use serde_json::json;

use crate::api::auth::{Client, Permission, CLIENT_CREDENTIALS};
use crate::api::error::Presented;
use crate::api::form::{self, Form};
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::responses::{self, DemoLogin, SessionRequest};
use crate::api::routes::{session_id, subject, Methods};
use crate::api::settings::Settings;
use crate::api::ApiError;
use crate::dpop;
use crate::events::{self, Event, Subjects};
use crate::objects::calls::{
    EndSession, Forget, LogOutEverywhere, ObjectCall, Refresh, Refreshed, Register, Revoke,
    RevokeToken, Sessions, Start, Status, StoreConformance,
};
use crate::platform::Platform;

type Answer = Result<Reply, ApiError>;

const FORM: &str = "application/x-www-form-urlencoded";

/// One request's context: the settings, the runtime, the client's address.
pub struct Ctx<'a, P> {
    platform: &'a P,
    settings: &'a Settings,
    client_address: Option<String>,
}

/// Handles one request with `settings` (or the error they could not be loaded with); always
/// answers, with CORS headers for an allowed origin.
pub async fn handle<P: Platform, B: Body>(
    req: Incoming<B>,
    platform: &P,
    settings: &Result<Rc<Settings>, ApiError>,
) -> Reply {
    let origin = req.header("Origin").map(str::to_owned);
    let answer = match settings {
        Err(err) => Err(err.clone()),
        Ok(settings) => route(req, platform, settings).await,
    };
    let reply = answer.unwrap_or_else(|err| Reply::error(&err));
    let allowed = match (&origin, settings) {
        (Some(origin), Ok(settings)) if settings.allows_origin(origin) => Some(origin.as_str()),
        _ => None,
    };
    reply.with_cors(allowed)
}

/// The route table: one row per endpoint, its path, the methods it takes and its handler.
/// `Allow`, the 405s and the preflight answers follow from each row's methods; a path's
/// parameters are decoded (or refused with 400) before anything else. A new endpoint is one
/// row here and one handler below.
async fn route<P: Platform, B: Body>(
    req: Incoming<B>,
    platform: &P,
    settings: &Settings,
) -> Answer {
    use Methods::{Get, Post};
    let ctx = Ctx {
        platform,
        settings,
        client_address: req.header("CF-Connecting-IP").map(str::to_owned),
    };
    let path = req.path.clone();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
    // The demo's routes exist only when the local configuration turns the demo on; the store
    // contract's only for the end-to-end tests.
    let (demo, tests) = (settings.demo_login(), settings.store_conformance);
    /// Runs `$handler` when the request's method is one of `$methods`; answers a preflight,
    /// and 405 with `Allow` for any other method.
    macro_rules! row {
        ($methods:expr, $handler:expr) => {
            match endpoint(&req.method, $methods)? {
                Endpoint::Preflight => Reply::empty(204),
                Endpoint::Handler => $handler.await,
            }
        };
    }
    match segments.as_slice() {
        ["healthz"] => row!(Get, health()),
        [".well-known", "jwks.json"] => row!(Get, jwks(&ctx)),
        [".well-known", "oauth-authorization-server"] => row!(Get, metadata(&ctx)),
        ["sessions"] => row!(Post, start_session(req, &ctx)),
        ["token"] => row!(Post, token(req, &ctx)),
        ["revoke"] => row!(Post, revoke(req, &ctx)),
        ["introspect"] => row!(Post, introspect(req, &ctx)),
        ["subjects", sub, "revoke"] => {
            let sub = subject(sub)?;
            row!(Post, log_out_subject(req, &ctx, &sub))
        }
        ["subjects", sub, "sessions"] => {
            let sub = subject(sub)?;
            row!(Get, subject_sessions(req, &ctx, &sub))
        }
        ["subjects", sub, "sessions", sid, "revoke"] => {
            let (sub, sid) = (subject(sub)?, session_id(sid)?);
            row!(Post, end_subject_session(req, &ctx, &sub, &sid))
        }
        ["demo", "login"] if demo => row!(Post, demo_login(req, &ctx)),
        ["demo", "me"] if demo => row!(Get, demo_me(req, &ctx)),
        ["demo", "logout-everywhere"] if demo => row!(Post, demo_logout_everywhere(req, &ctx)),
        ["test", "store-conformance"] if tests => row!(Post, store_conformance(&ctx)),
        _ => Err(ApiError::not_found()),
    }
}

/// What a row does with a request's method.
enum Endpoint {
    Preflight,
    Handler,
}

fn endpoint(method: &str, methods: Methods) -> Result<Endpoint, ApiError> {
    if method == "OPTIONS" {
        Ok(Endpoint::Preflight)
    } else if methods.allows(method) {
        Ok(Endpoint::Handler)
    } else {
        Err(ApiError::method_not_allowed(methods.allow()))
    }
}

/// `GET /healthz`.
async fn health() -> Answer {
    Reply::tokens(200, &json!({"status": "ok"}))
}

/// `GET /.well-known/jwks.json`: the public keys, encoded once per isolate.
async fn jwks<P>(ctx: &Ctx<'_, P>) -> Answer {
    Reply::public_json(ctx.settings.public_jwks.clone())
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
async fn metadata<P>(ctx: &Ctx<'_, P>) -> Answer {
    Reply::public_json(responses::metadata(&ctx.settings.issuer).to_string())
}

impl<'a, P: Platform> Ctx<'a, P> {
    async fn call<C: ObjectCall>(&self, name: &str, call: C) -> Result<C::Reply, ApiError> {
        self.platform.call(name, call).await
    }

    fn now(&self) -> u64 {
        self.platform.now()
    }

    fn revocations(&self) -> Result<RevocationList<P::Revocations>, ApiError> {
        self.platform
            .revocations(self.settings.issuer.policy().leeway)
    }

    /// A trusted client, from `Authorization: Basic` (a failure is logged as an event).
    fn authenticate<B>(&self, req: &Incoming<B>) -> Result<String, ApiError> {
        self.settings
            .clients
            .authenticate(req.header("Authorization"))
            .inspect_err(|_| self.event(Event::ClientAuthenticationFailed, Subjects::default()))
    }

    /// A trusted client with `permission` (a refusal is logged as an event naming it).
    fn authorize<B>(
        &self,
        req: &Incoming<B>,
        permission: Permission,
    ) -> Result<(String, &'a Client), ApiError> {
        let id = self.authenticate(req)?;
        let settings: &'a Settings = self.settings;
        match settings.clients.get(&id).filter(|c| c.may(permission)) {
            Some(client) => Ok((id, client)),
            None => {
                let about = Subjects {
                    client_id: Some(&id),
                    permission: Some(permission.name()),
                    ..Subjects::default()
                };
                self.event(Event::ClientPermissionRefused, about);
                Err(permission.refused(&id))
            }
        }
    }

    /// The unauthenticated endpoints' limit per client address.
    async fn limit(&self) -> Result<(), ApiError> {
        let address = self.client_address.as_deref().unwrap_or("unknown");
        if self.platform.within_limit(address).await? {
            Ok(())
        } else {
            Err(ApiError::too_many_requests("60"))
        }
    }

    /// Tells `sub`'s object that session `sid` ended in its own object. A failure is only
    /// logged: the session is over either way, and the subject forgets it by its refresh
    /// token's expiry at the latest.
    async fn forget(&self, sub: &str, sid: &str) {
        let call = Forget {
            sid: sid.to_owned(),
        };
        if let Err(err) = self.call(sub, call).await {
            let line = format!("edge-jwt: the subject could not forget session {sid}: {err:?}");
            self.platform.log(&line);
        }
    }

    fn event(&self, event: Event, about: Subjects<'_>) {
        if let Some(line) = events::line(event, about, self.client_address.as_deref(), self.now()) {
            self.platform.log(&line);
        }
    }
}

/// `POST /sessions`: a client with the `sessions` permission starts a session for a user it
/// authenticated, with a scope within its own.
async fn start_session<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let (client_id, client) = ctx.authorize(&req, Permission::Sessions)?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let body = req.body.read().await?;
    let mut request = SessionRequest::parse(&body, client_id)?;
    request.scope = client.session_scope(request.scope)?;
    begin_session(ctx, request).await
}

/// Registers the session with its subject (which dates it after any logout), then starts it
/// in its own object.
async fn begin_session<P: Platform>(
    ctx: &Ctx<'_, P>,
    request: edge_jwt_core::NewSession,
) -> Answer {
    // Refused before the subject's object is woken (the session's object checks again).
    request.validate()?;
    let sid = edge_jwt_core::random::new_id()?;
    let register = Register {
        sid: sid.clone(),
        client_id: request.client_id.clone(),
    };
    let registered = ctx.call(&request.sub, register).await?;
    if let Some(evicted) = &registered.evicted {
        let about = Subjects {
            sid: Some(evicted),
            sub: Some(&request.sub),
            ..Subjects::default()
        };
        ctx.event(Event::SessionEvicted, about);
    }
    let start = Start {
        sid: sid.clone(),
        request,
        min_iat: registered.min_iat,
    };
    Reply::tokens(201, &ctx.call(&sid, start).await?)
}

/// `POST /token` (RFC 6749 §6): refresh-token rotation in the session's Durable Object. A
/// client that presents credentials is checked (RFC 6749 §2.3) and refreshes only its own. A
/// `DPoP` proof (RFC 9449 §5) is checked against the request here; its binding and its `jti`
/// are checked by the session's object.
async fn token<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let client = match req.header("Authorization") {
        Some(_) => Some(ctx.authenticate(&req)?),
        None => None,
    };
    let proof = dpop::token_request_proof(&req, ctx.now())?;
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
        .verify_refresh(form.require("refresh_token")?, ctx.now())?;
    claims.check_client(client.as_deref())?;
    let sid = claims.sid.clone();
    let about = || Subjects {
        sid: Some(&claims.sid),
        sub: Some(&claims.sub),
        client_id: Some(&claims.client_id),
        jti: Some(&claims.jti),
        ..Subjects::default()
    };
    // The subject keeps the session listed as long as it may refresh: told first, so that a
    // failure refuses the refresh (503) before anything is consumed.
    if refresh_notice_due(ctx.settings.issuer.policy(), claims.iat, ctx.now()) {
        let notice = Refreshed {
            sid: sid.clone(),
            at: ctx.now(),
        };
        ctx.call(&claims.sub, notice).await?;
    }
    let call = Refresh {
        claims: claims.clone(),
        presented: Presentation {
            proof,
            client_authenticated: client.is_some(),
        },
    };
    match ctx.call(&sid, call).await {
        Ok(pair) => Reply::tokens(200, &pair),
        Err(err) => {
            match err.code {
                Some("ERR_REFRESH_TOKEN_REUSED") => {
                    ctx.event(Event::RefreshTokenReused, about());
                    ctx.forget(&claims.sub, &sid).await;
                }
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
fn client_credentials<P: Platform>(
    client: Option<String>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let Some(client_id) = client else {
        return Err(ApiError::invalid_client());
    };
    let settings = ctx.settings.clients.get(&client_id);
    let allowed = settings.is_some_and(|c| c.grant_types.iter().any(|g| g == CLIENT_CREDENTIALS));
    if !allowed {
        return Err(edge_jwt_core::Error::UnauthorizedClient(CLIENT_CREDENTIALS.to_owned()).into());
    }
    let scopes = settings.map(Client::own_scopes).unwrap_or_default();
    let scope = grant_scope(form.get("scope"), scopes)?;
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let token = ctx.settings.issuer.issue_client_token(
        &client_id,
        scope,
        proof.as_ref().map(|p| p.jkt.as_str()),
        ctx.now(),
    )?;
    Reply::tokens(200, &token)
}

/// `POST /revoke` (RFC 7009): no client authentication, limited per address; unknown tokens
/// answer 200. Revoking something already revoked writes nothing. A bound session's refresh
/// token needs a `DPoP` proof by its key, as at the token endpoint.
async fn revoke<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.limit().await?;
    let proof = dpop::token_request_proof(&req, ctx.now())?;
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    match ctx.settings.issuer.revocation_target(token, ctx.now()) {
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
                    ..Subjects::default()
                };
                ctx.event(Event::TokenRevoked, about);
            }
        }
        Some(RevocationTarget::Session(claims)) => {
            let call = Revoke {
                claims: claims.clone(),
                presented: Presentation {
                    proof,
                    client_authenticated: false,
                },
            };
            let was_live = match ctx.call(&claims.sid, call).await {
                Err(err) if err.error == "invalid_dpop_proof" => {
                    let about = Subjects {
                        sid: Some(&claims.sid),
                        sub: Some(&claims.sub),
                        client_id: Some(&claims.client_id),
                        ..Subjects::default()
                    };
                    ctx.event(Event::DpopProofRefused, about);
                    return Err(err);
                }
                answer => answer?,
            };
            ctx.forget(&claims.sub, &claims.sid).await;
            if was_live {
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
    Reply::empty(200)
}

/// `POST /introspect` (RFC 7662), for clients with the `introspect` permission. A refresh
/// token is active only while its session's object says it still refreshes.
async fn introspect<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.authorize(&req, Permission::Introspect)?;
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    let Ok(verified) = ctx.settings.issuer.verify_any(token, ctx.now()) else {
        return Reply::tokens(200, &responses::inactive());
    };
    match verified {
        IssuedToken::Access(claims) => match ctx.revocations()?.check(claims.ids()).await {
            Ok(_) => Reply::tokens(200, &responses::introspection(claims.claims.as_map())),
            Err(edge_jwt_core::Error::Revoked(_)) => Reply::tokens(200, &responses::inactive()),
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
                    Reply::tokens(200, &answer)
                }
                _ => Reply::tokens(200, &responses::inactive()),
            }
        }
    }
}

/// `POST /subjects/{sub}/revoke`: log a subject out everywhere (clients with the `subjects`
/// permission). When it answers 204, every session of the subject started before is ended in
/// its own object.
async fn log_out_subject<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>, sub: &str) -> Answer {
    ctx.authorize(&req, Permission::Subjects)?;
    log_out_everywhere(ctx, sub).await
}

async fn log_out_everywhere<P: Platform>(ctx: &Ctx<'_, P>, sub: &str) -> Answer {
    ctx.call(sub, LogOutEverywhere {}).await?;
    ctx.event(
        Event::SubjectLoggedOut,
        Subjects {
            sub: Some(sub),
            ..Subjects::default()
        },
    );
    Reply::empty(204)
}

/// `GET /subjects/{sub}/sessions` (clients with the `subjects` permission): the subject's
/// sessions that may still be refreshed, from its own object alone.
async fn subject_sessions<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>, sub: &str) -> Answer {
    ctx.authorize(&req, Permission::Subjects)?;
    let sessions = ctx.call(sub, Sessions {}).await?;
    Reply::tokens(200, &json!({ "sub": sub, "sessions": sessions }))
}

/// `POST /subjects/{sub}/sessions/{sid}/revoke` (clients with the `subjects` permission):
/// ends one session ("log out that device"); 404 when the subject has no such session.
async fn end_subject_session<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    sub: &str,
    sid: &str,
) -> Answer {
    ctx.authorize(&req, Permission::Subjects)?;
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
            Reply::empty(204)
        }
    }
}

/// `POST /demo/login` (demo only): `{"name": "..."}` logs in as `demo:<name>`, no password;
/// with `dpop_jkt`, the session is bound to that key.
async fn demo_login<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.limit().await?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let login = DemoLogin::parse(&req.body.read().await?)?;
    let audience = ctx.settings.demo.as_ref().map(|demo| demo.audience.clone());
    begin_session(ctx, login.session(audience)).await
}

/// The verified, unrevoked demo access token of a request to the demo's resource: `Bearer`, or
/// `DPoP` with a proof by its key. Else 401 with `WWW-Authenticate` (RFC 6750, RFC 9449 §7.1).
async fn access<P: Platform, B>(
    req: &Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Result<edge_jwt_core::AccessClaims, ApiError> {
    let demo = ctx.settings.demo.as_ref().ok_or_else(ApiError::not_found)?;
    let claims = dpop::resource_claims(req, &demo.verifier, ctx.now())?;
    ctx.revocations()?
        .check(claims.ids())
        .await
        .map_err(|e| ApiError::from_core(&e, Presented::Resource))?;
    Ok(claims)
}

/// `GET /demo/me` (demo only): a protected resource answering the access token's claims.
async fn demo_me<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let claims = access(&req, ctx).await?;
    Reply::tokens(200, claims.claims.as_map())
}

/// `POST /demo/logout-everywhere` (demo only): the bearer's subject is logged out everywhere,
/// as a trusted back end would do with `/subjects/{sub}/revoke`.
async fn demo_logout_everywhere<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let claims = access(&req, ctx).await?;
    log_out_everywhere(ctx, &claims.sub).await
}

/// `POST /test/store-conformance` (tests only): the core's store contract, run against the
/// deployed stores themselves: Workers KV here, and a Durable Object's storage in the object.
async fn store_conformance<P: Platform>(ctx: &Ctx<'_, P>) -> Answer {
    let run = edge_jwt_core::random::new_id()?;
    let prefix = format!("conformance:{run}");
    let revocations = ctx.revocations()?;
    let kv = edge_jwt_core::conformance::check_store(revocations.store(), ctx.now(), &prefix)
        .await
        .err();
    let call = StoreConformance {
        prefix: prefix.clone(),
    };
    let object = ctx.call(&prefix, call).await?;
    Reply::tokens(200, &json!({ "kv": kv, "durable_object": object }))
}

async fn read_form<B: Body>(req: &mut Incoming<B>) -> Result<Form, ApiError> {
    form::require_media_type(req.header("Content-Type"), FORM)?;
    Form::parse(&req.body.read().await?)
}
