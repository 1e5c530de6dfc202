//! The token endpoint, `POST /token`, and its grants, each a function here: `refresh_token`
//! (RFC 6749 §6), `authorization_code` (§4.1.3, with PKCE) and `client_credentials` (§4.4);
//! the grants of delegation in `delegation`.

mod delegation;

use edge_jwt_core::authorization::request::check_resource;
use edge_jwt_core::authorization::{flow, CodeExchange, GrantedCode, Redemption};
use edge_jwt_core::delegation::{JWT_BEARER, TOKEN_EXCHANGE};
use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::subject::refresh_notice_due;
use edge_jwt_core::{Error, ErrorCode, NewSession, Presentation};

use crate::api::form::Form;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::{End, Refresh, Refreshed};
use crate::context::{read_form, Answer, Ctx, TokenClient};
use crate::dpop;
use crate::events::{Event, Subjects};
use crate::platform::Platform;

/// `POST /token`: the client that presents credentials is checked (RFC 6749 §2.3), a `DPoP`
/// proof (RFC 9449 §5) against the request, then the grant runs.
pub(crate) async fn token<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let nonces = ctx.dpop_nonces();
    let proof = dpop::token_request_proof(&req, ctx.now(), nonces.as_ref())?;
    let form = read_form(&mut req).await?;
    let client = ctx.token_client(&req, &form).await?;
    let mut reply = grant(client, proof, &form, ctx).await?;
    // The nonce the client's next proof carries (RFC 9449 §8.2).
    if let Some([current, _]) = nonces {
        reply.headers.push(("DPoP-Nonce", current));
    }
    Ok(reply)
}

/// The grant the form names.
async fn grant<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    match form.require("grant_type")? {
        "refresh_token" => refresh_token(client, proof, form, ctx).await,
        "authorization_code" => {
            // A public client names itself (RFC 6749 §4.1.3); its code is bound to it.
            let client = ctx.or_public_client(client, form).await?;
            authorization_code(client, proof, form, ctx).await
        }
        "client_credentials" => client_credentials(client, proof, form, ctx),
        TOKEN_EXCHANGE => delegation::token_exchange(client, proof, form, ctx).await,
        JWT_BEARER => delegation::jwt_bearer(client, proof, form, ctx).await,
        _ => Err(ApiError::new(
            400,
            "unsupported_grant_type",
            format!(
                "grant_type must be authorization_code, refresh_token, client_credentials, \
                 {TOKEN_EXCHANGE} or {JWT_BEARER}"
            ),
        )),
    }
}

/// `grant_type=refresh_token` (RFC 6749 §6): rotation in the session's Durable Object. A client
/// that authenticated refreshes only its own; a `DPoP` proof's binding and `jti` are checked by
/// the session's object.
async fn refresh_token<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    // A public client's refresh token is its own credential: a `client_id` it sends along is
    // not authentication, and only an authenticated client is held to its tokens. Refused here
    // already when it is not a valid refresh token: no object is woken for it.
    let token = form.require("refresh_token")?;
    let claims = ctx.settings.issuer.verify_refresh(token, ctx.now())?;
    // A revoked signing key refuses its refresh tokens at once, in every isolate (an
    // isolate's copy of the key ring may be a minute old).
    let ids = ctx.revocation_ids(claims.ids());
    ctx.revocations()?.check_key(ids).await?;
    claims.check_client(client.as_ref().map(|c| c.id.as_str()))?;
    let sid = claims.sid.clone();
    // The subject keeps the session listed as long as it may refresh: told first, so that a
    // failure refuses the refresh (503) before anything is consumed.
    if refresh_notice_due(ctx.settings.issuer.policy(), claims.iat, ctx.now()) {
        // A session that follows its identity provider asks it again, as often.
        ctx.follow_upstream(&claims).await?;
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
            client_authenticated: client.as_ref().is_some_and(|c| c.authenticated),
            resource: form.get("resource").map(str::to_owned),
            scope: form.get("scope").map(str::to_owned),
        },
    };
    match ctx.call(&sid, call).await {
        Ok(rotated) => {
            if rotated.replayed {
                ctx.event(Event::RefreshReplayed, Subjects::refresh(&claims));
            }
            Reply::json(200, &rotated.pair)
        }
        Err(err) => {
            let err = ApiError::from(err);
            match err.code {
                Some(ErrorCode::RefreshTokenReused) => {
                    ctx.event(Event::RefreshTokenReused, Subjects::refresh(&claims));
                    ctx.forget(&claims.sub, &sid).await;
                }
                Some(code) if code.is_dpop() => {
                    ctx.event(Event::DpopProofRefused, Subjects::refresh(&claims))
                }
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
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let (client_id, client) = ctx.configured_client(client)?;
    let scope = client.rules.client_credentials_scope(form.get("scope"))?;
    // A resource it names (RFC 8707) is its token's audience, under the code flow's rule.
    let resource = form.get("resource");
    if let Some(resource) = resource {
        let audience = &ctx.settings.issuer.policy().audience;
        check_resource(resource, &ctx.settings.resources, audience)?;
    }
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let token = ctx.settings.issuer.issue_client_token(
        &client_id,
        scope,
        proof.as_ref().map(|p| p.jkt.as_str()),
        resource,
        ctx.now(),
    )?;
    Reply::json(200, &token)
}

/// `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): the sealed code opened and
/// checked here (a failed check uses nothing up), then the session it names registered with its
/// subject and started once in its own object, for the resource the code was issued for. A
/// second use of the code finds that session started and ends it.
async fn authorization_code<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let Some(client) = client else {
        return Err(ApiError::invalid_client());
    };
    let exchange = CodeExchange {
        client_id: &client.id,
        redirect_uri: form.require("redirect_uri")?,
        code_verifier: form.require("code_verifier")?,
        resource: form.get("resource"),
        proof_jkt: proof.as_ref().map(|p| p.jkt.as_str()),
    };
    let code = form.require("code")?;
    let granted = match flow::redeem(&ctx.settings.seal, code, exchange, ctx.now())? {
        Redemption::Granted(granted) => *granted,
        Redemption::Late { sid } => return late_reuse(ctx, &client.id, &sid).await,
    };
    // The client may narrow what was granted (checked before anything is used up).
    let scope = granted.scope_for(form.get("scope"))?;
    // A proof binds the session (checked against a key named at /authorize).
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let GrantedCode {
        request,
        mut consent,
        sid,
        ..
    } = granted;
    let sub = consent.sub.clone();
    let upstream_link = consent.upstream_link.take();
    // A configured client may set its own replay window; every other, the policy's.
    let replay_window = (ctx.settings.clients.get(&request.client_id))
        .and_then(|c| c.rules.replay_window)
        .unwrap_or(ctx.settings.issuer.policy().flow_replay_window);
    let session = NewSession {
        sub: consent.sub,
        client_id: request.client_id,
        scope,
        claims: consent.claims,
        dpop_jkt: proof.map(|p| p.jkt).or(request.dpop_jkt),
        // The demo's answer names its own audience; an app's, the resource asked for.
        audience: consent.audience.or(request.resource),
        // A client that authenticated at the exchange authenticates at each refresh too.
        confidential: client.authenticated,
        replay_window,
    };
    match ctx.start_session_once(&sid, session).await {
        Ok(pair) => {
            if let Some(link) = upstream_link {
                ctx.keep_upstream_link(&sid, link).await?;
            }
            Reply::json(200, &pair)
        }
        Err(err) if err.code == Some(ErrorCode::AuthorizationCodeReused) => {
            // Its session's object ended the session the first use started.
            reused(ctx, &client.id, &sid);
            ctx.forget(&sub, &sid).await;
            Err(err)
        }
        Err(err) => Err(err),
    }
}

/// A code presented again after its lifetime: the session its first use started, if it did,
/// ends (RFC 6749 §4.1.2).
async fn late_reuse<P: Platform>(ctx: &Ctx<'_, P>, client_id: &str, sid: &str) -> Answer {
    let sid = sid.to_owned();
    if ctx.call(&sid, End { sid: sid.clone() }).await? {
        reused(ctx, client_id, &sid);
        return Err(Error::AuthorizationCodeReused.into());
    }
    Err(Error::AuthorizationCodeInvalid("expired".into()).into())
}

/// A code used twice: an `authorization_code_reused` event naming the session that ended.
fn reused<P: Platform>(ctx: &Ctx<'_, P>, client_id: &str, sid: &str) {
    let about = Subjects {
        sid: Some(sid),
        client_id: Some(client_id),
        ..Subjects::default()
    };
    ctx.event(Event::AuthorizationCodeReused, about);
}
