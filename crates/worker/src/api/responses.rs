//! Request bodies and answers of the endpoints, as plain data.

use edge_jwt_core::dpop::DEFAULT_PROOF_ALGORITHMS;
use edge_jwt_core::{NewSession, TokenIssuer};
use serde::Deserialize;
use serde_json::{json, Map, Value};

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
        })
    }
}

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
        let mut claims = Map::new();
        claims.insert("name".into(), Value::String(self.name.clone()));
        NewSession {
            sub: format!("demo:{}", self.name),
            client_id: "demo".into(),
            scope: Some("demo".into()),
            claims,
            dpop_jkt: self.dpop_jkt,
            audience,
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

/// RFC 7662 §2.2: an active access token's claims, with `active` and `token_type`: `DPoP`
/// for a token bound to a key, whose `cnf` is among its claims (RFC 9449 §6.2).
pub fn introspection(claims: &Map<String, Value>) -> Value {
    let mut answer = claims.clone();
    let token_type = if claims.contains_key("cnf") {
        "DPoP"
    } else {
        "access_token"
    };
    answer.insert("active".into(), Value::Bool(true));
    answer.insert("token_type".into(), Value::String(token_type.into()));
    Value::Object(answer)
}

pub fn inactive() -> Value {
    json!({ "active": false })
}

/// RFC 8414 metadata.
pub fn metadata(issuer: &TokenIssuer) -> Value {
    let base = issuer.policy().issuer.trim_end_matches('/');
    json!({
        "issuer": issuer.policy().issuer,
        "token_endpoint": format!("{base}/token"),
        "revocation_endpoint": format!("{base}/revoke"),
        "introspection_endpoint": format!("{base}/introspect"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["refresh_token", "client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
        "dpop_signing_alg_values_supported": DEFAULT_PROOF_ALGORITHMS.map(|alg| alg.name()),
    })
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

    #[test]
    fn introspection_adds_active_and_token_type() {
        let claims = json!({"sub": "u1", "exp": 5}).as_object().cloned().unwrap();
        let answer = introspection(&claims);
        assert_eq!(answer["active"], true);
        assert_eq!(answer["sub"], "u1");
        assert_eq!(answer["token_type"], "access_token");
        let bound = json!({"sub": "u1", "cnf": {"jkt": "k"}});
        let answer = introspection(bound.as_object().unwrap());
        assert_eq!(
            (&answer["token_type"], &answer["cnf"]["jkt"]),
            (&json!("DPoP"), &json!("k"))
        );
        assert_eq!(inactive(), json!({"active": false}));
    }
}
