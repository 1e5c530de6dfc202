//! RFC 6749 §5.2 errors, and the one mapping from the core's error enum to HTTP.

use edge_jwt_core::resource::{challenge, challenge_scheme, resource_error, Scheme};
use edge_jwt_core::{Error, ErrorCode};
use serde::Serialize;

use crate::calls::{CallError, RemoteError};

/// An error answer: status, OAuth `error`, description, and the core's stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub error: &'static str,
    pub error_description: String,
    /// The core's stable code (`ERR_JWT_EXPIRED`...), when the failure came from the core.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    /// `WWW-Authenticate` to send with a 401.
    #[serde(skip)]
    pub www_authenticate: Option<String>,
    /// `Allow` to send with a 405.
    #[serde(skip)]
    pub allow: Option<&'static str>,
    /// `Retry-After` to send with a 429.
    #[serde(skip)]
    pub retry_after: Option<&'static str>,
    /// `DPoP-Nonce` to send with `use_dpop_nonce` (RFC 9449 §8).
    #[serde(skip)]
    pub dpop_nonce: Option<Box<str>>,
}

/// Server faults go to the log (never to the client).
fn log_fault(err: &dyn std::fmt::Display) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("edge-jwt: {err}");
    #[cfg(not(target_arch = "wasm32"))]
    let _ = err;
}

/// Every handler returns `Result<_, ApiError>` and uses `?` on the core's errors: a token
/// presented as a grant (the token endpoint's view) unless the handler says otherwise.
impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError::from_core(&err, Presented::Grant)
    }
}

/// A failed call to a Durable Object: the object's error maps as the core's would (by its
/// code); a missing binding names itself; a transport failure is logged, never sent.
impl From<CallError> for ApiError {
    fn from(err: CallError) -> Self {
        match err {
            CallError::Remote(remote) => ApiError::from(remote),
            CallError::Unbound(binding) => ApiError::misconfigured(binding, "is not bound"),
            CallError::Transport(why) => ApiError::unavailable(&why),
        }
    }
}

impl From<RemoteError> for ApiError {
    fn from(err: RemoteError) -> Self {
        match err.error_code() {
            Some(code) => ApiError::from_code(code, err.message, Presented::Grant),
            // A code this Worker does not know: a fault, as any unknown failure.
            None => ApiError::internal(&format!("object answered {}", err.code)),
        }
    }
}

/// Where a token was presented, which decides how a bad token is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// As a grant at the token endpoint (RFC 6749 §5.2 `invalid_grant`).
    Grant,
    /// As an access token at a resource, with the `Bearer` or `DPoP` scheme (RFC 6750 §3.1
    /// `invalid_token`, RFC 9449 §7.1 `invalid_dpop_proof`): 401 with the challenge.
    Resource,
}

impl ApiError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            error_description: description.into(),
            code: None,
            www_authenticate: None,
            allow: None,
            retry_after: None,
            dpop_nonce: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    pub fn invalid_client() -> Self {
        ApiError {
            www_authenticate: Some(r#"Basic realm="edge-jwt", charset="UTF-8""#.to_owned()),
            ..Self::new(401, "invalid_client", "client authentication failed")
        }
    }

    pub fn not_found() -> Self {
        Self::new(404, "not_found", "no such endpoint")
    }

    /// `allow`: the methods the endpoint takes, for the `Allow` header.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..Self::new(
                405,
                "method_not_allowed",
                "method not allowed on this endpoint",
            )
        }
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "invalid_request",
            format!("request body over {limit} bytes"),
        )
    }

    /// A setting that is missing or malformed: every request answers this until it is fixed.
    /// Names the setting, never its value.
    pub fn misconfigured(setting: &str, why: &str) -> Self {
        Self::new(
            503,
            "temporarily_unavailable",
            format!("the issuer is misconfigured: {setting} {why}"),
        )
    }

    /// A fault of the issuer itself: 500, details only in the log.
    pub fn internal(err: &dyn std::fmt::Display) -> Self {
        log_fault(err);
        Self::new(500, "server_error", "the issuer failed; try again later")
    }

    /// The runtime could not complete the request (an object or binding failed): 503,
    /// details only in the log.
    pub fn unavailable(err: &dyn std::fmt::Display) -> Self {
        log_fault(err);
        Self::new(
            503,
            "temporarily_unavailable",
            "the issuer could not complete the request; try again",
        )
    }

    /// Too many requests from one client address: 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: &'static str) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                429,
                "too_many_requests",
                format!("too many requests from this address; try again in {retry_after} seconds"),
            )
        }
    }

    /// The one mapping from the core's errors to HTTP.
    pub fn from_core(err: &Error, presented: Presented) -> Self {
        Self::from_code(err.error_code(), err.to_string(), presented)
    }

    /// The same mapping by the core's stable code (errors that crossed from a Durable Object
    /// arrive as code and message).
    pub fn from_code(code: ErrorCode, message: String, presented: Presented) -> Self {
        let (status, error, description) = match code {
            ErrorCode::StoreUnavailable => (
                503,
                "temporarily_unavailable",
                "token store unavailable; try again".to_owned(),
            ),
            ErrorCode::Internal => (
                500,
                "server_error",
                "the issuer failed; try again later".to_owned(),
            ),
            ErrorCode::JwksInvalid => (503, "temporarily_unavailable", message),
            ErrorCode::JwtClaimReserved | ErrorCode::InvalidOption => {
                (400, "invalid_request", message)
            }
            ErrorCode::InvalidScope => (400, "invalid_scope", message),
            ErrorCode::TokenExchangeInvalid | ErrorCode::SignInFailed => {
                (400, "invalid_request", message)
            }
            ErrorCode::InvalidTarget => (400, "invalid_target", message),
            ErrorCode::InvalidRedirectUri => (400, "invalid_redirect_uri", message),
            ErrorCode::InvalidClientMetadata => (400, "invalid_client_metadata", message),
            ErrorCode::UnsupportedResponseType => (400, "unsupported_response_type", message),
            ErrorCode::ClientAuthenticationRequired | ErrorCode::ClientAssertionInvalid => {
                return ApiError {
                    code: Some(code),
                    error_description: message,
                    ..Self::invalid_client()
                }
            }
            ErrorCode::AuthorizationNotFound => (404, "not_found", message),
            ErrorCode::UnauthorizedClient => (400, "unauthorized_client", message),
            ErrorCode::InsufficientScope => (403, "insufficient_scope", message),
            // RFC 9449 §5 (400 at the token endpoint) and §7.1 (401 with a challenge at a
            // resource), as the core names them.
            code if code.is_dpop() => match presented {
                Presented::Grant => (400, resource_error(code), message),
                Presented::Resource => (401, resource_error(code), message),
            },
            _ => match presented {
                Presented::Grant => (400, "invalid_grant", message),
                Presented::Resource => (401, "invalid_token", message),
            },
        };
        // A resource offers both schemes for a bad token, and DPoP's for a bad proof.
        let www_authenticate =
            (status == 401).then(|| match challenge_scheme(code, Scheme::Bearer) {
                Scheme::Dpop => challenge(Scheme::Dpop, None, Some(error), None),
                Scheme::Bearer => format!(
                    "{}, {}",
                    challenge(Scheme::Bearer, None, Some(error), None),
                    challenge(Scheme::Dpop, None, None, None)
                ),
            });
        ApiError {
            code: Some(code),
            www_authenticate,
            ..Self::new(status, error, description)
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"error":"server_error","error_description":"unencodable error"}"#.to_owned()
        })
    }
}

/// An object that could not reach what it needs (its settings, a binding): the issuer's
/// fault, with the description only in the object's log.
impl From<ApiError> for RemoteError {
    fn from(err: ApiError) -> Self {
        RemoteError::from(Error::Internal(err.error_description))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_jwt_core::RevokedBy;

    #[test]
    fn token_failures_are_invalid_grant_at_the_token_endpoint() {
        for err in [
            Error::Expired { claim: "exp" },
            Error::RefreshTokenReused,
            Error::Revoked(RevokedBy::Session),
            Error::SignatureVerificationFailed,
            Error::SessionNotFound,
            Error::JwsInvalid("x"),
        ] {
            let api = ApiError::from_core(&err, Presented::Grant);
            assert_eq!((api.status, api.error), (400, "invalid_grant"), "{err:?}");
            assert_eq!(api.code, Some(err.error_code()));
        }
    }

    #[test]
    fn token_failures_are_invalid_token_at_a_resource() {
        let api = ApiError::from_core(&Error::Expired { claim: "exp" }, Presented::Resource);
        assert_eq!((api.status, api.error), (401, "invalid_token"));
        assert_eq!(
            api.www_authenticate.as_deref(),
            Some(r#"Bearer error="invalid_token", DPoP algs="EdDSA ES256""#)
        );
    }

    #[test]
    fn dpop_failures_are_rfc_9449_errors() {
        for err in [
            Error::DpopProofInvalid("htu is not the request's URL".into()),
            Error::DpopBindingMismatch,
            Error::DpopReplayed,
        ] {
            let api = ApiError::from_core(&err, Presented::Grant);
            assert_eq!(
                (api.status, api.error),
                (400, "invalid_dpop_proof"),
                "{err:?}"
            );
        }
        let api = ApiError::from_core(&Error::DpopNonceRequired, Presented::Grant);
        assert_eq!((api.status, api.error), (400, "use_dpop_nonce"));
        assert_eq!(api.www_authenticate, None);
    }

    #[test]
    fn dpop_failures_at_a_resource_are_401_with_a_dpop_challenge() {
        for err in [
            Error::DpopProofInvalid("the DPoP header is missing".into()),
            Error::DpopBindingMismatch,
            Error::DpopReplayed,
        ] {
            let api = ApiError::from_core(&err, Presented::Resource);
            assert_eq!((api.status, api.error), (401, "invalid_dpop_proof"));
            assert_eq!(
                api.www_authenticate.as_deref(),
                Some(r#"DPoP error="invalid_dpop_proof", algs="EdDSA ES256""#)
            );
        }
        let api = ApiError::from_core(&Error::DpopNonceRequired, Presented::Resource);
        assert_eq!((api.status, api.error), (401, "use_dpop_nonce"));
        assert!(api.www_authenticate.unwrap().starts_with("DPoP "));
    }

    #[test]
    fn a_failing_store_is_503_and_hides_its_details() {
        let api = ApiError::from_core(
            &Error::StoreUnavailable("KV GET failed: internal host kv-7".into()),
            Presented::Grant,
        );
        assert_eq!((api.status, api.error), (503, "temporarily_unavailable"));
        assert!(!api.error_description.contains("kv-7"));
        assert_eq!(api.code, Some(ErrorCode::StoreUnavailable));
    }

    #[test]
    fn every_core_code_maps_and_faults_are_500_without_details() {
        for code in ErrorCode::ALL {
            let api = ApiError::from_code(code, "why".into(), Presented::Grant);
            assert!((400..=503).contains(&api.status), "{code}");
            assert_eq!(api.code, Some(code));
        }
        let api = ApiError::from_core(&Error::Internal("rng down".into()), Presented::Grant);
        assert_eq!((api.status, api.error), (500, "server_error"));
        assert!(!api.error_description.contains("rng"));
        let unknown = ApiError::from(RemoteError {
            code: "ERR_NEW".into(),
            message: "x".into(),
        });
        assert_eq!(unknown.status, 500);
    }

    #[test]
    fn json_has_the_rfc6749_members() {
        let json: serde_json::Value =
            serde_json::from_str(&ApiError::invalid_request("missing grant_type").to_json())
                .unwrap();
        assert_eq!(json["error"], "invalid_request");
        assert_eq!(json["error_description"], "missing grant_type");
        assert!(json.get("status").is_none());
    }
}
