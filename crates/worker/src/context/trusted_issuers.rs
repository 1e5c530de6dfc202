//! The identity providers the JWT bearer grant trusts (`EDGE_JWT_TRUSTED_ISSUERS`): where their
//! keys are (a configured `jwks_uri`, or their metadata's, discovered once and kept), and the
//! ID-JAG presented checked by the core with those keys, its `jti` used once, exactly, in a
//! Durable Object per provider.

use std::cell::RefCell;

use serde::Deserialize;

use edge_jwt_core::delegation::identity_assertion::used_grant_key;
use edge_jwt_core::delegation::{
    verify_identity_assertion, GrantCheck, TrustedIssuer, VerifiedGrant,
};
use edge_jwt_core::verify::{decode_unverified, DEFAULT_MAX_TOKEN_LENGTH};
use edge_jwt_core::Error;

use super::published::Kept;
use super::Ctx;
use crate::api::form::Form;
use crate::api::ApiError;
use crate::calls::UseOnce;
use crate::events::{Event, Subjects};
use crate::platform::Platform;

/// The largest metadata document read, in bytes.
const MAX_METADATA: usize = 64 * 1024;
/// How long a discovered `jwks_uri` is kept without a `Cache-Control` `max-age`, and at most.
const DEFAULT_KEEP: u64 = 3600;
const MAX_KEEP: u64 = 86_400;

thread_local! {
    static DISCOVERED: RefCell<Kept<String>> = RefCell::new(Kept::new(64));
}

/// What the issuer reads of a provider's metadata (RFC 8414 §2, OpenID Connect Discovery §3).
#[derive(Deserialize)]
struct ProviderMetadata {
    issuer: String,
    jwks_uri: String,
}

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
                    .claims
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
        let now = self.now();
        if let Some(uri) = DISCOVERED.with(|d| d.borrow().get(&trust.issuer, now)) {
            return Ok(uri);
        }
        let base = trust.issuer.trim_end_matches('/');
        let mut failures = Vec::new();
        for well_known in ["openid-configuration", "oauth-authorization-server"] {
            let url = format!("{base}/.well-known/{well_known}");
            let published = match self.fetch_published(&url, MAX_METADATA).await {
                Ok(published) => published,
                Err(why) => {
                    failures.push(format!("{url}: {why}"));
                    continue;
                }
            };
            let metadata: ProviderMetadata = serde_json::from_slice(&published.body)
                .map_err(|_| format!("{url} is not metadata with issuer and jwks_uri"))?;
            if metadata.issuer != trust.issuer {
                return Err(format!("{url} names issuer {:?}", metadata.issuer));
            }
            let keep = match published.max_age {
                0 => DEFAULT_KEEP,
                seconds => seconds.min(MAX_KEEP),
            };
            let uri = metadata.jwks_uri;
            DISCOVERED.with(|d| d.borrow_mut().keep(&trust.issuer, uri.clone(), now + keep));
            return Ok(uri);
        }
        Err(failures.join("; "))
    }
}
