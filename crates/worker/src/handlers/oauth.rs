//! The OAuth endpoints any client or resource server calls besides the token endpoint
//! (`token.rs`): revocation (RFC 7009), introspection (RFC 7662), the keys and the metadata
//! (RFC 8414).

use edge_jwt_core::client::Permission;
use edge_jwt_core::issuer::{IssuedToken, RevocationTarget};
use edge_jwt_core::{Error, ErrorCode, Presentation};
use serde_json::json;

use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::responses;
use crate::api::ApiError;
use crate::calls::{Revoke, RevokeToken, Status};
use crate::context::{read_form, Answer, Ctx};
use crate::dpop;
use crate::events::{Event, Subjects};
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

/// `POST /revoke` (RFC 7009), limited per address; unknown tokens answer 200. A client that
/// sends credentials is authenticated as at `/token`, and a public client may name itself with
/// `client_id`: either revokes only its own tokens; a confidential client's refresh token needs
/// its credentials. Revoking something already revoked writes nothing. A bound session's
/// refresh token needs a `DPoP` proof by its key, as at the token endpoint.
pub(crate) async fn revoke<P: Platform, B: Body>(mut req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.limit().await?;
    let proof = dpop::token_request_proof(&req, ctx.now(), ctx.dpop_nonces().as_ref())?;
    let form = read_form(&mut req).await?;
    let client = ctx.token_client(&req, &form).await?;
    let client = ctx.or_public_client(client, &form).await?;
    let token = form.require("token")?;
    let target = ctx.settings.issuer.revocation_target(token, ctx.now());
    if let Some(target) = &target {
        target.check_client(client.as_ref().map(|c| c.id.as_str()))?;
    }
    match target {
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
                    ..Presentation::default()
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
    // The client is refused before its body is: a body that is no form is a client's with
    // no credentials in it.
    let form = read_form(&mut req).await;
    match &form {
        Ok(form) => {
            ctx.authorize_form(&req, form, Permission::Introspect)
                .await?
        }
        Err(_) => ctx.authorize(&req, Permission::Introspect)?,
    };
    let form = form?;
    let token = form.require("token")?;
    let Ok(verified) = ctx.settings.issuer.verify_any(token, ctx.now()) else {
        return Reply::json(200, &responses::inactive());
    };
    let answer = match verified {
        IssuedToken::Access(claims) => match ctx
            .revocations()?
            .check(ctx.revocation_ids(claims.ids()))
            .await
        {
            Ok(_) => responses::introspection(claims.claims.as_map()),
            Err(Error::Revoked(_)) => responses::inactive(),
            Err(e) => return Err(e.into()),
        },
        IssuedToken::Refresh(claims) => {
            let ids = ctx.revocation_ids(claims.ids());
            match ctx.revocations()?.check_key(ids).await {
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
