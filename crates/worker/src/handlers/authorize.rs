//! The authorization endpoint and the login handoff (Ory Hydra's shape): `/authorize` checks a
//! client's request and sends the browser to the app's login page with a challenge; the app's
//! back end (the `authorizations` permission) reads the challenge and accepts or rejects it, and gets
//! back where to send the browser. The issuer never renders a login.

use edge_jwt_core::authorization::request::redirect_with;
use edge_jwt_core::authorization::{
    flow, Answerer, AuthorizationRequest, AuthorizeRefusal, ClientOrigin,
};
use edge_jwt_core::client::Permission;

use crate::api::form::{self, query_pairs};
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::requests::{AcceptRequest, RejectRequest};
use crate::api::ApiError;
use crate::context::{Answer, Ctx};
use crate::platform::Platform;

/// `GET /authorize` (RFC 6749 §4.1.1, OAuth 2.1): an unknown client or a redirect URI it did
/// not register is answered here (400, never redirected); any other error goes back to the
/// configured client with `iss` (RFC 9207); a valid request is sealed into a login challenge
/// (nothing stored) and the browser sent to `EDGE_JWT_LOGIN_URL?login_challenge=…`. Limited
/// per address.
pub(crate) async fn authorize<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let login_url = ctx.settings.login_url.as_deref().ok_or_else(|| {
        ApiError::new(
            404,
            "not_found",
            "the authorization endpoint is off: set EDGE_JWT_LOGIN_URL",
        )
    })?;
    ctx.limit().await?;
    let params = query_pairs(&req.url)?;
    let client_id = params.iter().find(|(k, _)| k == "client_id");
    let client = match client_id {
        Some((_, id)) => ctx.flow_client(id).await?,
        None => None,
    };
    let policy = ctx.settings.issuer.policy();
    let parsed = AuthorizationRequest::parse(
        &params,
        client.as_ref(),
        &ctx.settings.resources,
        &policy.audience,
    );
    match parsed {
        Err(AuthorizeRefusal::Direct(err)) => Err(err.into()),
        Err(AuthorizeRefusal::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => Reply::redirect(&redirect_with(
            &redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(&description)),
                ("state", state.as_deref()),
                ("iss", Some(&policy.issuer)),
            ],
        )),
        Ok(request) => {
            let (client_name, client_origin) = match client {
                Some(c) => (c.client_name, c.origin),
                None => (None, ClientOrigin::Registered),
            };
            // Sealed into the challenge: nothing is stored until the app answers it.
            let challenge = flow::begin(
                &ctx.settings.seal,
                request,
                client_name,
                client_origin,
                ctx.now(),
            )?;
            let to = redirect_with(login_url, &[("login_challenge", Some(&challenge))]);
            Reply::redirect(&to)
        }
    }
}

/// `GET /authorizations/{challenge}` (the `authorizations` permission): the pending request, for the
/// app's consent screen; 404 when unknown, expired or answered.
pub(crate) async fn pending<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    challenge: &str,
) -> Answer {
    ctx.authorize(&req, Permission::Authorizations)?;
    ctx.pending_authorization(challenge).await
}

/// `POST /authorizations/{challenge}/accept` (the `authorizations` permission): the user the app
/// logged in; answers `{"redirect_to"}` with the code. Answered once; the scope granted stays
/// within the app's own `scopes` when it has a list.
pub(crate) async fn accept<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    challenge: &str,
) -> Answer {
    let (_, app) = ctx.authorize(&req, Permission::Authorizations)?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let consent = AcceptRequest::parse(&req.body.read().await?)?;
    let by = Answerer::App {
        scopes: app.rules.scopes.clone(),
    };
    ctx.accept_authorization(challenge, consent, by).await
}

/// `POST /authorizations/{challenge}/reject` (the `authorizations` permission): answers
/// `{"redirect_to"}` with `error` (default `access_denied`). Answered once.
pub(crate) async fn reject<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    challenge: &str,
) -> Answer {
    ctx.authorize(&req, Permission::Authorizations)?;
    let answer = RejectRequest::parse(&req.body.read().await?)?;
    ctx.reject_authorization(challenge, answer.error, answer.error_description)
        .await
}
