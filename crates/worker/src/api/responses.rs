//! The endpoints' answers, as plain data.

use edge_jwt_core::authorization::assertion::ASSERTION_ALGORITHMS;
use edge_jwt_core::authorization::pkce::S256;
use edge_jwt_core::delegation::{JWT_BEARER, TOKEN_EXCHANGE};
use edge_jwt_core::dpop::DEFAULT_PROOF_ALGORITHMS;
use edge_jwt_core::{RefreshClaims, SessionStatus};

use crate::settings::{ClientDocuments, Settings};
use serde_json::{json, Map, Value};

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

/// RFC 7662 §2.2 for a live refresh token: its claims, and `cnf` when its session is bound to
/// a key (RFC 9449 §6.2).
pub fn refresh_introspection(
    claims: &RefreshClaims,
    status: &SessionStatus,
    issuer: &str,
) -> Value {
    let mut answer = json!({
        "active": true, "token_type": "refresh_token", "sub": claims.sub,
        "sid": claims.sid, "jti": claims.jti, "client_id": claims.client_id,
        "iat": claims.iat, "exp": claims.exp, "iss": issuer,
    });
    if let Some(jkt) = &status.jkt {
        answer["cnf"] = json!({ "jkt": jkt });
    }
    answer
}

/// An answer to a login challenge: where the app sends the browser (the client's redirect URI
/// with the code, or with the error).
pub fn redirect_to(location: &str) -> Value {
    json!({ "redirect_to": location })
}

pub fn inactive() -> Value {
    json!({ "active": false })
}

/// How a client may authenticate at `/token` and `/revoke`.
const AUTH_METHODS: [&str; 4] = [
    "none",
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];

/// RFC 8414 metadata.
pub fn metadata(settings: &Settings) -> Value {
    let issuer = &settings.issuer;
    let base = issuer.policy().issuer.trim_end_matches('/');
    let assertion_algorithms = ASSERTION_ALGORITHMS.map(|alg| alg.name());
    let mut metadata = json!({
        "issuer": issuer.policy().issuer,
        "token_endpoint": format!("{base}/token"),
        "revocation_endpoint": format!("{base}/revoke"),
        "introspection_endpoint": format!("{base}/introspect"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "grant_types_supported": ["refresh_token", "client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "introspection_endpoint_auth_methods_supported": &AUTH_METHODS[1..],
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "dpop_signing_alg_values_supported": DEFAULT_PROOF_ALGORITHMS.map(|alg| alg.name()),
    });
    // The authorization code flow, when the app's login page is set.
    if settings.login_url.is_some() {
        metadata["authorization_endpoint"] = json!(format!("{base}/authorize"));
        metadata["grant_types_supported"] =
            json!(["authorization_code", "refresh_token", "client_credentials"]);
        metadata["response_types_supported"] = json!(["code"]);
        metadata["code_challenge_methods_supported"] = json!([S256]);
        metadata["authorization_response_iss_parameter_supported"] = json!(true);
    }
    // The grants of delegation, where some client may use them.
    let mut delegation = Vec::new();
    if settings.clients.any_exchange() {
        delegation.push(TOKEN_EXCHANGE);
    }
    if !settings.trusted_issuers.is_empty() {
        delegation.push(JWT_BEARER);
    }
    if let Some(grants) = metadata["grant_types_supported"].as_array_mut() {
        grants.extend(delegation.into_iter().map(|g| json!(g)));
    }
    if let Some(scopes) = &settings.scopes {
        metadata["scopes_supported"] = json!(scopes);
    }
    if settings.client_documents != ClientDocuments::Off {
        metadata["client_id_metadata_document_supported"] = json!(true);
    }
    if settings.registration_open {
        metadata["registration_endpoint"] = json!(format!("{base}/register"));
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;

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
