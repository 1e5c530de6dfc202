//! The identity providers the JWT bearer grant trusts (`EDGE_JWT_TRUSTED_ISSUERS`): where their
//! keys are (a configured `jwks_uri`, or their metadata's, `discovery`'s), and the
//! ID-JAG presented checked by the core with those keys, its `jti` used once, exactly, in a
//! Durable Object per provider.

use edge_jwt_core::delegation::identity_assertion::used_grant_key;
use edge_jwt_core::delegation::{
    verify_identity_assertion, GrantCheck, TrustedIssuer, VerifiedGrant,
};
use edge_jwt_core::verify::{decode_unverified, DEFAULT_MAX_TOKEN_LENGTH};
use edge_jwt_core::Error;

use super::discovery::{OAUTH, OPENID};
use super::Ctx;
use crate::api::form::Form;
use crate::api::ApiError;
use crate::calls::UseOnce;
use crate::events::{Event, Subjects};
use crate::platform::Platform;

impl<P: Platform> Ctx<'_, P> {
    /// The ID-JAG of `form` (`assertion`), presented by authenticated client `client_id`:
    /// from a trusted issuer, verified with its keys, for this issuer, its `jti` not used
    /// before. A refusal is `invalid_grant` (or `invalid_target`, `invalid_scope`), with an
    /// `assertion_grant_refused` event saying why; nothing is used up by one.
    pub(crate) async fn identity_assertion(
        &self,
        client_id: &str,
        form: &Form,
    ) -> Result<VerifiedGrant, ApiError> {
        let assertion = form.require("assertion")?;
        let refuse = |err: Error| {
            let why = err.to_string();
            let about = Subjects {
                client_id: Some(client_id),
                reason: Some(&why),
                ..Subjects::default()
            };
            self.event(Event::AssertionGrantRefused, about);
            ApiError::from(err)
        };
        // The issuer it names picks the keys that then verify it, `iss` included.
        let named = decode_unverified(assertion, DEFAULT_MAX_TOKEN_LENGTH)
            .ok()
            .and_then(|parsed| {
                parsed
                    .claims()
                    .string("iss")
                    .ok()
                    .flatten()
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let Some(trust) = self.settings.trusted_issuers.get(&named) else {
            return Err(refuse(Error::AssertionGrantInvalid(format!(
                "its issuer {named:?} is not trusted here"
            ))));
        };
        let policy = self.settings.issuer.policy();
        let check = GrantCheck {
            audience: &policy.issuer,
            client_id,
            resource: form.get("resource"),
            scope: form.get("scope"),
            now: self.now(),
            leeway: policy.leeway,
        };
        let unusable = |why: String| {
            Error::AssertionGrantInvalid(format!("the keys of {}: {why}", trust.issuer))
        };
        let jwks_uri = self
            .jwks_uri(trust)
            .await
            .map_err(|why| refuse(unusable(why)))?;
        let verified = self
            .with_remote_keys(&jwks_uri, |jwks| {
                verify_identity_assertion(assertion, jwks, trust, &check)
            })
            .await
            .unwrap_or_else(|why| Err(unusable(why)))
            .map_err(refuse)?;
        let once = UseOnce {
            key: used_grant_key(&trust.issuer, &verified.jti),
            until: verified.remember_until,
        };
        if !self.call(&format!("id-jag:{}", trust.issuer), once).await? {
            return Err(refuse(Error::AssertionGrantInvalid(
                "its jti was used before: get a new assertion from the identity provider".into(),
            )));
        }
        Ok(verified)
    }

    /// A trusted issuer's key set URL: configured, or its metadata's (OpenID Connect
    /// Discovery, then RFC 8414), whose `issuer` must be the trusted one.
    async fn jwks_uri(&self, trust: &TrustedIssuer) -> Result<String, String> {
        if let Some(uri) = &trust.jwks_uri {
            return Ok(uri.clone());
        }
        let metadata = self.discover(&trust.issuer, &[OPENID, OAUTH]).await?;
        metadata
            .jwks_uri
            .ok_or_else(|| "its metadata names no jwks_uri".to_owned())
    }
}
