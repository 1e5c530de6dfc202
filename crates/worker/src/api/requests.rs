//! The endpoints' JSON request bodies, parsed into what the core takes.

use edge_jwt_core::authorization::Consent;
use edge_jwt_core::NewSession;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ApiError;

/// `POST /sessions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub sub: String,
    #[serde(default)]
    pub claims: Map<String, Value>,
    #[serde(default)]
    pub scope: Option<String>,
    /// The browser's DPoP key thumbprint (RFC 9449 §10): binds the session to that key.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

impl SessionRequest {
    pub fn parse(body: &[u8], client_id: String) -> Result<NewSession, ApiError> {
        let request: SessionRequest = serde_json::from_slice(body).map_err(|e| {
            ApiError::invalid_request(format!(
                "body must be JSON {{sub, claims?, scope?, dpop_jkt?}}: {e}"
            ))
        })?;
        if request.scope.as_deref().is_some_and(|s| s.len() > 1024) {
            return Err(ApiError::invalid_request("scope is over 1024 bytes"));
        }
        Ok(NewSession {
            sub: request.sub,
            client_id,
            scope: request.scope.filter(|s| !s.is_empty()),
            claims: request.claims,
            dpop_jkt: request.dpop_jkt,
            audience: None,
            confidential: false,
            replay_window: 0,
        })
    }
}

/// `POST /authorizations/{challenge}/accept`: who the app logged in, the claims for their
/// tokens, and the scope, which may only narrow what was asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub sub: String,
    #[serde(default)]
    pub claims: Map<String, Value>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl AcceptRequest {
    pub fn parse(body: &[u8]) -> Result<Consent, ApiError> {
        let request: AcceptRequest = serde_json::from_slice(body).map_err(|e| {
            ApiError::invalid_request(format!("body must be JSON {{sub, claims?, scope?}}: {e}"))
        })?;
        Ok(Consent {
            sub: request.sub,
            claims: request.claims,
            scope: request.scope,
            ..Consent::default()
        })
    }
}

/// `POST /authorizations/{challenge}/reject`: optionally, the error to send the client.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl RejectRequest {
    /// An empty body is no error of its own (`access_denied`).
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(RejectRequest::default());
        }
        serde_json::from_slice(body).map_err(|e| {
            ApiError::invalid_request(format!(
                "body must be JSON {{error?, error_description?}}: {e}"
            ))
        })
    }
}

/// The scope of every demo token.
pub const DEMO_SCOPE: &str = "demo";

/// The demo login's `{"name": "...", "dpop_jkt"?: "..."}`: a name of 1 to 32 letters, digits,
/// `-` or `_`, and the browser's DPoP key thumbprint when it binds the session.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoLogin {
    pub name: String,
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

impl DemoLogin {
    /// The demo user's session: `demo:<name>`, with its name as a claim, scope `demo`, and the
    /// demo's own audience.
    pub fn session(self, audience: Option<String>) -> NewSession {
        let Consent { sub, claims, .. } = self.consent();
        NewSession {
            sub,
            client_id: "demo".into(),
            scope: Some(DEMO_SCOPE.into()),
            claims,
            dpop_jkt: self.dpop_jkt,
            audience,
            confidential: false,
            replay_window: 0,
        }
    }

    /// Who the demo user is: `demo:<name>`, with the name as a claim (for its login and for
    /// its answer to an authorization request alike).
    pub fn consent(&self) -> Consent {
        let mut claims = Map::new();
        claims.insert("name".into(), Value::String(self.name.clone()));
        Consent {
            sub: format!("demo:{}", self.name),
            claims,
            ..Consent::default()
        }
    }

    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let login: DemoLogin = serde_json::from_slice(body).map_err(|_| {
            ApiError::invalid_request(
                "body must be JSON {\"name\": \"...\", \"dpop_jkt\"?: \"...\"}",
            )
        })?;
        let valid = (1..=32).contains(&login.name.len())
            && login
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(login)
        } else {
            Err(ApiError::invalid_request(
                "name must be 1 to 32 letters, digits, - or _",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_requests_are_strict_json() {
        let ok = SessionRequest::parse(
            br#"{"sub":"u1","claims":{"role":"x"},"scope":"a b"}"#,
            "c".into(),
        )
        .unwrap();
        assert_eq!((ok.sub.as_str(), ok.client_id.as_str()), ("u1", "c"));
        assert_eq!(ok.scope.as_deref(), Some("a b"));
        for bad in [
            &b"{"[..],
            b"[]",
            br#"{"sub":1}"#,
            br#"{"sub":"u","admin":true}"#,
            b"{}",
        ] {
            let err = SessionRequest::parse(bad, "c".into()).unwrap_err();
            assert_eq!((err.status, err.error), (400, "invalid_request"));
        }
    }

    #[test]
    fn demo_logins_take_a_name_and_maybe_a_key_thumbprint() {
        let login = DemoLogin::parse(br#"{"name":"alice","dpop_jkt":"k"}"#).unwrap();
        assert_eq!(
            (login.name.as_str(), login.dpop_jkt.as_deref()),
            ("alice", Some("k"))
        );
        assert_eq!(
            DemoLogin::parse(br#"{"name":"bob"}"#).unwrap().dpop_jkt,
            None
        );
        for bad in [
            &br#"{"name":""}"#[..],
            br#"{"name":"a b"}"#,
            br#"{"name":"a","admin":true}"#,
            b"[]",
        ] {
            let err = DemoLogin::parse(bad).unwrap_err();
            assert_eq!((err.status, err.error), (400, "invalid_request"));
        }
    }
}
