//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): a code redeemed once in its
//! authorization's object, then a session started as `/sessions` starts one, for the resource
//! the code was issued for. A second use of the code revokes that session.

use edge_jwt_core::authorization::flow::split_code;
use edge_jwt_core::authorization::Redemption;
use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::{Error, NewSession};

use crate::api::form::Form;
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::{End, Redeem, Started};
use crate::context::{Answer, Ctx, TokenClient};
use crate::dpop;
use crate::events::{Event, Subjects};
use crate::handlers::admin::start_registered;
use crate::platform::Platform;

pub(crate) async fn exchange<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let Some(client) = client else {
        return Err(ApiError::invalid_client());
    };
    let code = form.require("code")?;
    let (challenge, secret) = split_code(code)?;
    let redeem = Redeem {
        secret: secret.to_owned(),
        client_id: client.id.clone(),
        redirect_uri: form.require("redirect_uri")?.to_owned(),
        code_verifier: form.require("code_verifier")?.to_owned(),
        resource: form.get("resource").map(str::to_owned),
        proof_jkt: proof.as_ref().map(|p| p.jkt.clone()),
    };
    let (request, consent) = match ctx.call(challenge, redeem).await? {
        Redemption::Granted { request, consent } => (request, consent),
        Redemption::Reused { sid } => return reused(ctx, &client.id, sid).await,
    };
    // A proof binds the session (the object checked it against a key named at /authorize).
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let session = NewSession {
        sub: consent.sub,
        client_id: request.client_id,
        scope: consent.scope,
        claims: consent.claims,
        dpop_jkt: proof.map(|p| p.jkt).or(request.dpop_jkt),
        // The demo's answer names its own audience; an app's, the resource asked for.
        audience: consent.audience.or(request.resource),
        // A client that authenticated at the exchange authenticates at each refresh too.
        confidential: client.authenticated,
    };
    let (sid, pair) = start_registered(ctx, session).await?;
    if !ctx.call(challenge, Started { sid: sid.clone() }).await? {
        // The code was used again while this session started: it is revoked at once.
        return reused(ctx, &client.id, Some(sid)).await;
    }
    Reply::json(200, &pair)
}

/// A code used twice: the session its first use started ends (RFC 6749 §4.1.2), with an
/// `authorization_code_reused` event.
async fn reused<P: Platform>(ctx: &Ctx<'_, P>, client_id: &str, sid: Option<String>) -> Answer {
    if let Some(sid) = &sid {
        ctx.call(sid, End { sid: sid.clone() }).await?;
    }
    let about = Subjects {
        sid: sid.as_deref(),
        client_id: Some(client_id),
        ..Subjects::default()
    };
    ctx.event(Event::AuthorizationCodeReused, about);
    Err(Error::AuthorizationCodeReused.into())
}
