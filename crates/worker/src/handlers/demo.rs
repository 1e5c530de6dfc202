//! The demo page's endpoints (only when `EDGE_JWT_DEMO_LOGIN` turns them on): a password-less
//! login, a protected resource, a logout everywhere.

use edge_jwt_core::authorization::Answerer;
use edge_jwt_core::AccessClaims;

use crate::api::error::Presented;
use crate::api::form;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::requests::{DemoLogin, DEMO_SCOPE};
use crate::api::ApiError;
use crate::context::{Answer, Ctx};
use crate::dpop;
use crate::platform::Platform;

/// `POST /demo/login` (demo only): `{"name": "..."}` logs in as `demo:<name>`, no password;
/// with `dpop_jkt`, the session is bound to that key.
pub(crate) async fn login<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.limit().await?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let login = DemoLogin::parse(&req.body.read().await?)?;
    let audience = ctx.settings.demo.as_ref().map(|demo| demo.audience.clone());
    ctx.begin_session(login.session(audience)).await
}

/// The verified, unrevoked demo access token of a request to the demo's resource: `Bearer`, or
/// `DPoP` with a proof by its key. Else 401 with `WWW-Authenticate` (RFC 6750, RFC 9449 §7.1).
async fn access<P: Platform, B>(
    req: &Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Result<AccessClaims, ApiError> {
    let demo = ctx.settings.demo.as_ref().ok_or_else(ApiError::not_found)?;
    let claims = dpop::resource_claims(req, &demo.verifier, ctx.now())?;
    ctx.revocations()?
        .check(ctx.revocation_ids(claims.ids()))
        .await
        .map_err(|e| ApiError::from_core(&e, Presented::Resource))?;
    Ok(claims)
}

/// `GET /demo/me` (demo only): a protected resource answering the access token's claims.
pub(crate) async fn me<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let claims = access(&req, ctx).await?;
    Reply::json(200, claims.claims.as_map())
}

/// `POST /demo/logout-everywhere` (demo only): the bearer's subject is logged out everywhere,
/// as a trusted back end would do with `/subjects/{sub}/revoke`.
pub(crate) async fn logout_everywhere<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let claims = access(&req, ctx).await?;
    ctx.log_out_everywhere(&claims.sub).await
}

/// `GET /demo/authorizations/{challenge}` (demo only): the pending request, for the demo's
/// consent page (`consent.html`), standing for an app's back end.
pub(crate) async fn pending<P: Platform, B>(
    _req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    challenge: &str,
) -> Answer {
    ctx.limit().await?;
    ctx.pending_authorization(challenge).await
}

/// `POST /demo/authorizations/{challenge}/accept` (demo only): `{"name"}` signs in as
/// `demo:<name>`, no password; answers `{"redirect_to"}`. The code yields the demo's tokens
/// (its audience and scope), whatever the client asked for.
pub(crate) async fn accept<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    challenge: &str,
) -> Answer {
    ctx.limit().await?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let login = DemoLogin::parse(&req.body.read().await?)?;
    let demo = ctx.settings.demo.as_ref().ok_or_else(ApiError::not_found)?;
    let by = Answerer::Demo {
        audience: demo.audience.clone(),
        scope: DEMO_SCOPE.to_owned(),
    };
    ctx.accept_authorization(challenge, login.consent(), by)
        .await
}

/// `POST /demo/authorizations/{challenge}/reject` (demo only): `access_denied`.
pub(crate) async fn reject<P: Platform, B>(
    _req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    challenge: &str,
) -> Answer {
    ctx.limit().await?;
    let description = Some("the user denied the request".to_owned());
    ctx.reject_authorization(challenge, None, description).await
}
