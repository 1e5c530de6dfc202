//! The back end's calls (HTTP Basic, with a permission): starting sessions for the users it
//! authenticated, and administering a subject's sessions.

use edge_jwt_core::client::Permission;
use edge_jwt_core::{ErrorCode, NewSession, TokenPair};
use serde_json::json;

use crate::api::form;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::requests::SessionRequest;
use crate::api::ApiError;
use crate::calls::{CallError, EndSession, LogOutEverywhere, Register, Sessions, Start};
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
    begin_session(ctx, request).await
}

/// Registers the session with its subject (which dates it after any logout), then starts it
/// in its own object; answers 201 with its first pair.
pub(crate) async fn begin_session<P: Platform>(ctx: &Ctx<'_, P>, request: NewSession) -> Answer {
    let (_, pair) = start_registered(ctx, request).await?;
    Reply::json(201, &pair)
}

/// [`begin_session`]'s work: the new session's id and its first pair.
pub(crate) async fn start_registered<P: Platform>(
    ctx: &Ctx<'_, P>,
    request: NewSession,
) -> Result<(String, TokenPair), ApiError> {
    // Refused before the subject's object is woken (the session's object checks again).
    request.validate()?;
    let sid = edge_jwt_core::random::new_id()?;
    let register = Register {
        sid: sid.clone(),
        client_id: request.client_id.clone(),
    };
    let registered = ctx.call(&request.sub, register).await?;
    for evicted in &registered.evicted {
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
    let pair = ctx.call(&sid, start).await?;
    Ok((sid, pair))
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
    log_out_everywhere(ctx, sub).await
}

pub(crate) async fn log_out_everywhere<P: Platform>(ctx: &Ctx<'_, P>, sub: &str) -> Answer {
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
