//! The back end's calls (HTTP Basic, with a permission): starting sessions for the users it
//! authenticated, and administering a subject's sessions.

use edge_jwt_core::client::Permission;
use edge_jwt_core::ErrorCode;
use serde_json::json;

use crate::api::form;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::requests::SessionRequest;
use crate::api::ApiError;
use crate::calls::{CallError, EndSession, Sessions};
use crate::context::{Answer, Ctx};
use crate::events::{Event, Subjects};
use crate::platform::Platform;

/// `POST /sessions`: a client with the `sessions` permission starts a session for a user it
/// authenticated, with a scope within its own.
pub(crate) async fn start_session<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let (client_id, client) = ctx.authorize(&req, Permission::Sessions)?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let body = req.body.read().await?;
    let mut request = SessionRequest::parse(&body, client_id)?;
    request.scope = client.rules.session_scope(request.scope)?;
    ctx.begin_session(request).await
}

/// `POST /subjects/{sub}/revoke`: log a subject out everywhere (clients with the `subjects`
/// permission). When it answers 204, every session of the subject started before is ended in
/// its own object.
pub(crate) async fn log_out_subject<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    sub: &str,
) -> Answer {
    ctx.authorize(&req, Permission::Subjects)?;
    ctx.log_out_everywhere(sub).await
}

/// `GET /subjects/{sub}/sessions` (clients with the `subjects` permission): the subject's
/// sessions that may still be refreshed, from its own object alone.
pub(crate) async fn subject_sessions<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    sub: &str,
) -> Answer {
    ctx.authorize(&req, Permission::Subjects)?;
    let sessions = ctx.call(sub, Sessions {}).await?;
    Reply::json(200, &json!({ "sub": sub, "sessions": sessions }))
}

/// `POST /subjects/{sub}/sessions/{sid}/revoke` (clients with the `subjects` permission):
/// ends one session ("log out that device"); 404 when the subject has no such session.
pub(crate) async fn end_subject_session<P: Platform, B>(
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
        Err(CallError::Remote(err)) if err.error_code() == Some(ErrorCode::SessionNotFound) => Err(
            ApiError::new(404, "not_found", "the subject has no such live session"),
        ),
        Err(err) => Err(err.into()),
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
