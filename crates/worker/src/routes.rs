//! The route table: a row per endpoint, its path, the methods it takes and its handler (a
//! file per audience in `handlers`), over the request's context (`context::Ctx`).

use std::rc::Rc;

use crate::api::incoming::{Body, Incoming};
use crate::api::paths::{self, key_id, session_id, subject, Methods};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::context::{Answer, Ctx};
use crate::handlers::{admin, authorize, demo, keys, oauth, register, signin, testing, token};
use crate::platform::Platform;
use crate::settings::Settings;

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
/// row here and one handler in the file for its audience (`handlers::*`).
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
    // The demo's handoff only while it is the login page: never beside an app's.
    let (demo, tests) = (settings.demo_login(), settings.store_conformance);
    let handoff = settings.demo_handoff;
    // The issuer's own sign-in: with upstreams, and no login app of the operator's.
    let signing_in = !settings.upstreams.is_empty()
        && settings
            .login_url
            .as_deref()
            .is_some_and(|u| u.ends_with("/signin"));
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
        ["healthz"] => row!(Get, oauth::health()),
        [".well-known", "jwks.json"] => row!(Get, oauth::jwks(&ctx)),
        [".well-known", "oauth-authorization-server"] => row!(Get, oauth::metadata(&ctx)),
        ["sessions"] => row!(Post, admin::start_session(req, &ctx)),
        ["token"] => row!(Post, token::token(req, &ctx)),
        ["authorize"] => row!(Get, authorize::authorize(req, &ctx)),
        ["authorizations", challenge] => {
            let challenge = paths::challenge(challenge)?;
            row!(Get, authorize::pending(req, &ctx, &challenge))
        }
        ["authorizations", challenge, "accept"] => {
            let challenge = paths::challenge(challenge)?;
            row!(Post, authorize::accept(req, &ctx, &challenge))
        }
        ["authorizations", challenge, "reject"] => {
            let challenge = paths::challenge(challenge)?;
            row!(Post, authorize::reject(req, &ctx, &challenge))
        }
        ["signin"] if signing_in => row!(Get, signin::choose(req, &ctx)),
        ["signin", "callback"] if signing_in => row!(Get, signin::callback(req, &ctx)),
        ["signin", "consent"] if signing_in => row!(Post, signin::consent(req, &ctx)),
        ["signin", upstream] if signing_in => {
            let upstream = (*upstream).to_owned();
            row!(Get, signin::begin(req, &ctx, &upstream))
        }
        ["register"] => row!(Post, register::register(req, &ctx)),
        ["revoke"] => row!(Post, oauth::revoke(req, &ctx)),
        ["introspect"] => row!(Post, oauth::introspect(req, &ctx)),
        ["keys"] => row!(Get, keys::list(req, &ctx)),
        ["keys", "rotate"] => row!(Post, keys::rotate(req, &ctx)),
        ["keys", kid, "revoke"] => {
            let kid = key_id(kid)?;
            row!(Post, keys::revoke(req, &ctx, &kid))
        }
        ["subjects", sub, "revoke"] => {
            let sub = subject(sub)?;
            row!(Post, admin::log_out_subject(req, &ctx, &sub))
        }
        ["subjects", sub, "sessions"] => {
            let sub = subject(sub)?;
            row!(Get, admin::subject_sessions(req, &ctx, &sub))
        }
        ["subjects", sub, "sessions", sid, "revoke"] => {
            let (sub, sid) = (subject(sub)?, session_id(sid)?);
            row!(Post, admin::end_subject_session(req, &ctx, &sub, &sid))
        }
        ["demo", "login"] if demo => row!(Post, demo::login(req, &ctx)),
        ["demo", "me"] if demo => row!(Get, demo::me(req, &ctx)),
        ["demo", "logout-everywhere"] if demo => row!(Post, demo::logout_everywhere(req, &ctx)),
        ["demo", "authorizations", challenge] if handoff => {
            let challenge = paths::challenge(challenge)?;
            row!(Get, demo::pending(req, &ctx, &challenge))
        }
        ["demo", "authorizations", challenge, "accept"] if handoff => {
            let challenge = paths::challenge(challenge)?;
            row!(Post, demo::accept(req, &ctx, &challenge))
        }
        ["demo", "authorizations", challenge, "reject"] if handoff => {
            let challenge = paths::challenge(challenge)?;
            row!(Post, demo::reject(req, &ctx, &challenge))
        }
        ["test", "store-conformance"] if tests => row!(Post, testing::store_conformance(&ctx)),
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
