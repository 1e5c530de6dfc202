//! A consent a user asked to be remembered ("don't ask again for this app"): per user and
//! client, in the user's own store, for a while. It answers a later request of the same client
//! only for the same resource and no scope beyond what the user allowed.

use serde::{Deserialize, Serialize};

use crate::authorization::AuthorizationRequest;
use crate::issuer::scope_tokens;

/// How long a remembered consent lasts.
pub const CONSENT_MEMORY: u64 = 30 * 86_400;

/// What the user allowed a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedConsent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

impl RememberedConsent {
    /// What `request` asked for, as the user allowed it.
    pub fn of(request: &AuthorizationRequest) -> Self {
        RememberedConsent {
            scope: request.scope.clone(),
            resource: request.resource.clone(),
        }
    }

    /// Whether it answers `request`: the same resource, and each scope asked one allowed.
    pub fn covers(&self, request: &AuthorizationRequest) -> bool {
        let allowed = scope_tokens(self.scope.as_deref());
        self.resource == request.resource
            && scope_tokens(request.scope.as_deref())
                .iter()
                .all(|asked| allowed.contains(asked))
    }

    /// Where the user's store keeps it for `client_id`.
    pub fn key(client_id: &str) -> String {
        format!("consent:{client_id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(scope: Option<&str>, resource: Option<&str>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: "c".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            state: None,
            scope: scope.map(str::to_owned),
            resource: resource.map(str::to_owned),
            code_challenge: "x".into(),
            dpop_jkt: None,
            dpop_bound: false,
        }
    }

    #[test]
    fn a_remembered_consent_answers_the_same_resource_and_no_wider_scope() {
        let allowed =
            RememberedConsent::of(&request(Some("mcp:tools files:read"), Some("https://mcp")));
        assert!(allowed.covers(&request(Some("mcp:tools"), Some("https://mcp"))));
        assert!(allowed.covers(&request(None, Some("https://mcp"))));
        assert!(!allowed.covers(&request(Some("mcp:tools admin"), Some("https://mcp"))));
        assert!(!allowed.covers(&request(Some("mcp:tools"), Some("https://other"))));
        assert!(!allowed.covers(&request(Some("mcp:tools"), None)));
    }
}
