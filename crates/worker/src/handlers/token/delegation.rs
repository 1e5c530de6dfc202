//! The token endpoint's two grants of delegation: `token-exchange` (RFC 8693), a permitted
//! client trading an access token it received for one to another audience, in the subject
//! token's session; and `jwt-bearer` (RFC 7523 §2.1, the ID-JAG profile), a client presenting
//! a trusted identity provider's assertion for its user. Each answers an access token alone.

use edge_jwt_core::delegation::{exchange, issue_for_assertion, subject_token, ExchangeRequest};
use edge_jwt_core::dpop::DpopProof;
use edge_jwt_core::Error;

use crate::api::form::Form;
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::context::{Answer, Ctx, TokenClient};
use crate::dpop;
use crate::events::{Event, Subjects};
use crate::platform::Platform;

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`: a configured client that
/// authenticated, with the `exchange` permission, within its `exchange` rules. The subject
/// token must not be revoked (its token, session or subject); a refusal uses nothing up.
pub(super) async fn token_exchange<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let (client_id, configured) = ctx.configured_client(client)?;
    let client_id = client_id.as_str();
    let rules = configured.rules.exchange_rules()?;
    let audience = match (form.get("resource"), form.get("audience")) {
        (Some(resource), Some(audience)) if resource != audience => {
            return Err(Error::InvalidTarget(
                "name one audience, as resource or as audience".into(),
            )
            .into())
        }
        (resource, audience) => resource.or(audience),
    };
    let request = ExchangeRequest {
        subject_token: form.require("subject_token")?,
        subject_token_type: form.require("subject_token_type")?,
        requested_token_type: form.get("requested_token_type"),
        audience,
        scope: form.get("scope"),
        actor_token: form.get("actor_token").is_some() || form.get("actor_token_type").is_some(),
    };
    let issuer = &ctx.settings.issuer;
    let subject = subject_token(issuer, &request, ctx.now())?;
    // A subject token revoked, or of an ended session or a subject logged out, is no longer
    // the subject's to delegate.
    let ids = ctx.revocation_ids(subject.ids());
    match ctx.revocations()?.check(ids).await {
        Err(err @ Error::Revoked(_)) => {
            return Err(Error::TokenExchangeInvalid(format!("the subject token: {err}")).into())
        }
        checked => checked?,
    };
    let jkt = proof.as_ref().map(|p| p.jkt.as_str());
    let token = exchange(
        issuer,
        (client_id, rules),
        &subject,
        &request,
        jkt,
        ctx.now(),
    )?;
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let about = Subjects {
        client_id: Some(client_id),
        ..Subjects::access(&subject)
    };
    ctx.event(Event::TokenExchanged, about);
    Reply::json(200, &token)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`: an authenticated client presents
/// an ID-JAG naming it, from an identity provider the operator trusts for it.
pub(super) async fn jwt_bearer<P: Platform>(
    client: Option<TokenClient>,
    proof: Option<DpopProof>,
    form: &Form,
    ctx: &Ctx<'_, P>,
) -> Answer {
    let Some(client) = client.filter(|c| c.authenticated) else {
        return Err(ApiError::invalid_client());
    };
    if ctx.settings.trusted_issuers.is_empty() {
        return Err(ApiError::new(
            400,
            "unsupported_grant_type",
            "this issuer trusts no identity provider's assertions (EDGE_JWT_TRUSTED_ISSUERS)",
        ));
    }
    let grant = ctx.identity_assertion(&client.id, form).await?;
    if let Some(proof) = &proof {
        dpop::remember(proof, ctx.now())?;
    }
    let jkt = proof.as_ref().map(|p| p.jkt.as_str());
    let token = issue_for_assertion(&ctx.settings.issuer, &client.id, grant, jkt, ctx.now())?;
    Reply::json(200, &token)
}
