//! Clients that authenticate with signed assertions (`private_key_jwt`, RFC 7523 §2.2, RFC 7521
//! §4.2): the client's public keys found by its id (configured, registered, or its metadata
//! document's `jwks_uri`, kept as `key_sets` keeps it), the assertion checked by the core, and
//! its `jti` used once, exactly, in a Durable Object.

use edge_jwt_core::authorization::assertion::{
    used_assertion_key, verify_assertion, AssertionCheck, JWT_BEARER_ASSERTION,
};
use edge_jwt_core::authorization::ClientKeys;
use edge_jwt_core::verify::decode_unverified;
use edge_jwt_core::Error;

use super::{Ctx, TokenClient};
use crate::api::form::Form;
use crate::api::incoming::Incoming;
use crate::api::ApiError;
use crate::calls::UseOnce;
use crate::events::{Event, Subjects};
use crate::platform::Platform;

impl<P: Platform> Ctx<'_, P> {
    /// The client a `client_assertion` authenticates; `None` when the request has none. A wrong
    /// assertion type, an assertion beside another method, one that does not verify with the
    /// client's keys, or a `jti` used before is `invalid_client` (401), before anything is used
    /// up, with a `client_authentication_failed` event saying why.
    pub(crate) async fn assertion_client<B>(
        &self,
        req: &Incoming<B>,
        form: &Form,
    ) -> Result<Option<TokenClient>, ApiError> {
        let Some(kind) = form.get("client_assertion_type") else {
            return Ok(None);
        };
        let refuse = |client_id: Option<&str>, why: String| {
            let about = Subjects {
                client_id,
                reason: Some(&why),
                ..Subjects::default()
            };
            self.event(Event::ClientAuthenticationFailed, about);
            Err(Error::ClientAssertionInvalid(why).into())
        };
        if kind != JWT_BEARER_ASSERTION {
            return refuse(
                None,
                format!("client_assertion_type must be {JWT_BEARER_ASSERTION}"),
            );
        }
        if req.header("Authorization").is_some() || form.get("client_secret").is_some() {
            return refuse(None, "one client authentication method at a time".into());
        }
        let assertion = form.require("client_assertion")?;
        // The client names itself, or its assertion does (its `sub`, checked with its keys).
        let client_id = match form.get("client_id") {
            Some(id) => id.to_owned(),
            None => match assertion_subject(assertion) {
                Some(id) => id,
                None => return refuse(None, "it names no client (sub)".into()),
            },
        };
        let id = Some(client_id.as_str());
        let Some(keys) = self.client_keys(&client_id).await? else {
            return refuse(
                id,
                "the client has no public keys for private_key_jwt".into(),
            );
        };
        let base = self.settings.issuer.policy().issuer.trim_end_matches('/');
        let endpoints = [
            self.settings.issuer.policy().issuer.clone(),
            format!("{base}/token"),
            format!("{base}/revoke"),
            format!("{base}/introspect"),
        ];
        let audiences: Vec<&str> = endpoints.iter().map(String::as_str).collect();
        let check = AssertionCheck {
            client_id: &client_id,
            audiences: &audiences,
            now: self.now(),
            leeway: self.settings.issuer.policy().leeway,
        };
        let verified = match keys {
            ClientKeys::Jwks(jwks) => verify_assertion(assertion, &jwks, &check),
            ClientKeys::JwksUri(uri) => self
                .with_remote_keys(&uri, |jwks| verify_assertion(assertion, jwks, &check))
                .await
                .unwrap_or_else(|why| {
                    Err(Error::ClientAssertionInvalid(format!(
                        "the client's jwks_uri {uri}: {why}"
                    )))
                }),
        };
        let verified = match verified {
            Ok(verified) => verified,
            Err(err) => return refuse(id, err.to_string()),
        };
        let once = UseOnce {
            key: used_assertion_key(&client_id, &verified.jti),
            until: verified.remember_until,
        };
        if !self
            .call(&format!("client-assertions:{client_id}"), once)
            .await?
        {
            let why = "its jti was used before: make a new assertion for each request";
            return refuse(id, why.into());
        }
        Ok(Some(TokenClient {
            id: client_id,
            authenticated: true,
        }))
    }

    /// A client's public keys for its assertions: a configured client's `jwks`, or those of the
    /// client of the flow by that id (registered, or a metadata document's).
    async fn client_keys(&self, client_id: &str) -> Result<Option<ClientKeys>, ApiError> {
        if let Some(client) = self.settings.clients.get(client_id) {
            return Ok(client.keys.clone());
        }
        Ok(self.flow_client(client_id).await?.and_then(|c| c.keys))
    }
}

/// The `sub` an assertion claims, read before it is verified: only to find the client whose
/// keys then verify it.
fn assertion_subject(assertion: &str) -> Option<String> {
    let parsed =
        decode_unverified(assertion, edge_jwt_core::verify::DEFAULT_MAX_TOKEN_LENGTH).ok()?;
    parsed
        .claims()
        .string("sub")
        .ok()
        .flatten()
        .map(str::to_owned)
}
