//! The OAuth endpoints any client or resource server calls: the token endpoint (RFC 6749 §6,
//! §4.4), revocation (RFC 7009), introspection (RFC 7662), the keys and the metadata (RFC 8414).

use edge_jwt_core::client::Permission;
use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::issuer::{IssuedToken, RevocationTarget};
use edge_jwt_core::subject::refresh_notice_due;
use edge_jwt_core::{Error, ErrorCode, Presentation};
use serde_json::json;

use crate::api::form::Form;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::responses;
use crate::api::ApiError;
use crate::calls::{Refresh, Refreshed, Revoke, RevokeToken, Status};
use crate::context::{read_form, Answer, Ctx, TokenClient};
use crate::dpop;
use crate::events::{Event, Subjects};
use crate::handlers::code;
use crate::platform::Platform;

/// `GET /healthz`.
pub(crate) async fn health() -> Answer {
    Reply::json(200, &json!({"status": "ok"}))
}

/// `GET /.well-known/jwks.json`: the public keys, encoded once per isolate.
pub(crate) async fn jwks<P>(ctx: &Ctx<'_, P>) -> Answer {
    Reply::public_json(ctx.settings.public_jwks.clone())
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub(crate) async fn metadata<P>(ctx: &Ctx<'_, P>) -> Answer {
    Reply::public_json(responses::metadata(ctx.settings).to_string())
}

/// `POST /token` (RFC 6749 §6): refresh-token rotation in the session's Durable Object. A
/// client that presents credentials is checked (RFC 6749 §2.3) and refreshes only its own. A
/// `DPoP` proof (RFC 9449 §5) is checked against the request here; its binding and its `jti`
/// are checked by the session's object.
pub(crate) async fn token<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    let client = ctx.basic_client(&req).await?;
    let proof = dpop::token_request_proof(&req, ctx.now())?;
    let form = read_form(&mut req).await?;
    match form.require("grant_type")? {
        "refresh_token" => {}
        "authorization_code" => {
            // A public client names itself (RFC 6749 §4.1.3); its code is bound to it.
            let client = match client {
                Some(client) => Some(client),
                None => ctx.public_client(&form).await?,
            };
            return code::exchange(client, proof, &form, ctx).await;
        }
        "client_credentials" => return client_credentials(client, proof, &form, ctx),
        _ => {
            return Err(ApiError::new(
                400,
                "unsupported_grant_type",
                "grant_type must be authorization_code, refresh_token or client_credentials",
            ))
        }
    }
    // A public client's refresh token is its own credential: a `client_id` it sends along is
    // not authentication, and only an authenticated client is held to its tokens. Refused here
    // already when it is not a valid refresh token: no object is woken for it.
    let token = form.require("refresh_token")?;
    let claims = ctx.settings.issuer.verify_refresh(token, ctx.now())?;
    if ctx.settings.managed.is_some() {
        // A revoked signing key refuses its refresh tokens at once, in every isolate (an
        // isolate's copy of the key ring may be a minute old).
        ctx.revocations()?.check_key(claims.ids()).await?;
    }
    claims.check_client(client.as_ref().map(|c| c.id.as_str()))?;
    let sid = claims.sid.clone();
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
            client_authenticated: client.as_ref().is_some_and(|c| c.authenticated),
            resource: form.get("resource").map(str::to_owned),
        },
    };
    match ctx.call(&sid, call).await {
        Ok(pair) => Reply::json(200, &pair),
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
pub(crate) fn client_credentials<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let client = client
        .filter(|c| c.authenticated)
        .and_then(|c| Some((ctx.settings.clients.get(&c.id)?, c.id)));
    let Some((client, client_id)) = client else {
        return Err(ApiError::invalid_client());
    };
    let scope = client.rules.client_credentials_scope(form.get("scope"))?;
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let token = ctx.settings.issuer.issue_client_token(
        &client_id,
        scope,
        proof.as_ref().map(|p| p.jkt.as_str()),
        ctx.now(),
    )?;
    Reply::json(200, &token)
}

/// `POST /revoke` (RFC 7009): no client authentication, limited per address; unknown tokens
/// answer 200. Revoking something already revoked writes nothing. A bound session's refresh
/// token needs a `DPoP` proof by its key, as at the token endpoint.
pub(crate) async fn revoke<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
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
                ctx.event(Event::TokenRevoked, Subjects::access(&claims));
            }
        }
        Some(RevocationTarget::Session(claims)) => {
            let call = Revoke {
                claims: claims.clone(),
                presented: Presentation {
                    proof,
                    client_authenticated: false,
                    resource: None,
                },
            };
            let about = Subjects {
                jti: None,
                ..Subjects::refresh(&claims)
            };
            let was_live = match ctx.call(&claims.sid, call).await.map_err(ApiError::from) {
                Err(err) if err.code.is_some_and(ErrorCode::is_dpop) => {
                    ctx.event(Event::DpopProofRefused, about);
                    return Err(err);
                }
                answer => answer?,
            };
            ctx.forget(&claims.sub, &claims.sid).await;
            if was_live {
                ctx.event(Event::SessionRevoked, about);
            }
        }
    }
    Reply::empty(200)
}

/// `POST /introspect` (RFC 7662), for clients with the `introspect` permission. A refresh
/// token is active only while its session's object says it still refreshes.
pub(crate) async fn introspect<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Answer {
    ctx.authorize(&req, Permission::Introspect)?;
    let form = read_form(&mut req).await?;
    let token = form.require("token")?;
    let Ok(verified) = ctx.settings.issuer.verify_any(token, ctx.now()) else {
        return Reply::json(200, &responses::inactive());
    };
    let answer = match verified {
        IssuedToken::Access(claims) => match ctx.revocations()?.check(claims.ids()).await {
            Ok(_) => responses::introspection(claims.claims.as_map()),
            Err(Error::Revoked(_)) => responses::inactive(),
            Err(e) => return Err(e.into()),
        },
        IssuedToken::Refresh(claims) => {
            match ctx.revocations()?.check_key(claims.ids()).await {
                Err(Error::Revoked(_)) => return Reply::json(200, &responses::inactive()),
                checked => checked?,
            }
            let call = Status {
                sid: claims.sid.clone(),
                refresh_jti: Some(claims.jti.clone()),
            };
            match ctx.call(&claims.sid, call).await? {
                Some(status) if status.live => {
                    let issuer = &ctx.settings.issuer.policy().issuer;
                    responses::refresh_introspection(&claims, &status, issuer)
                }
                _ => responses::inactive(),
            }
        }
    };
    Reply::json(200, &answer)
}
