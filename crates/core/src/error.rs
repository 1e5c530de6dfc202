//! The one error type of edge-jwt. Every failure has a stable `code()`, named as panva/jose names
//! them where jose has the failure, so code written against jose can branch on the same strings.
//! The Worker maps this enum once to HTTP (status + OAuth error); the npm package once to JS codes.

use std::borrow::Cow;
use std::fmt;

/// Why a claim failed validation, as jose reports it in `JWTClaimValidationFailed.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimReason {
    /// The claim is required and absent.
    Missing,
    /// The claim is present but of the wrong type or shape.
    Invalid,
    /// The claim is well-formed but its value is not acceptable.
    CheckFailed,
}

impl ClaimReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimReason::Missing => "missing",
            ClaimReason::Invalid => "invalid",
            ClaimReason::CheckFailed => "check_failed",
        }
    }
}

/// What a revocation entry blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedBy {
    /// The token's own `jti` was revoked.
    Token,
    /// The token's session (`sid`) was revoked (logout, or refresh-token reuse).
    Session,
    /// The subject was logged out everywhere after this token was issued.
    Subject,
}

impl RevokedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokedBy::Token => "jti",
            RevokedBy::Session => "sid",
            RevokedBy::Subject => "sub",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `exp` is past (beyond the leeway), or the token is older than the allowed maximum age
    /// (`claim` is then `iat`).
    Expired { claim: &'static str },
    /// A claim (or the `typ` header) is missing, malformed or not the expected value.
    ClaimValidationFailed {
        /// A registered claim's name, or a name from the `required_claims` option.
        claim: Cow<'static, str>,
        reason: ClaimReason,
    },
    /// The signature does not verify with the selected key.
    SignatureVerificationFailed,
    /// Not a well-formed compact JWS: segments, base64url, header JSON, size, `crit`.
    JwsInvalid(&'static str),
    /// A well-formed JWS whose payload is not a valid JWT claims set.
    JwtInvalid(&'static str),
    /// The token's `alg` is not allowed for the key that its `kid` selects (or at all).
    AlgNotAllowed,
    /// No key of the key set matches the token's `kid` and `alg`.
    NoMatchingKey,
    /// The token was revoked.
    Revoked(RevokedBy),
    /// A JWKS (or one JWK) that cannot be used: bad JSON, no usable key, repeated `kid`...
    JwksInvalid(String),
    /// A custom claim that shadows a registered or protocol claim.
    ReservedClaim(String),
    /// A refresh token presented again after its grace window: the session is now revoked.
    RefreshTokenReused,
    /// A refresh token whose session the store does not know (ended, or never started here).
    SessionNotFound,
    /// The store could not be read or written. Checks fail closed with this error.
    StoreUnavailable(String),
    /// A configuration or option value that cannot be used.
    InvalidOption(String),
    /// A refresh token presented by a client other than the one it was issued to.
    ClientMismatch,
    /// A scope the client may not ask for (RFC 6749 §5.2 `invalid_scope`).
    InvalidScope(String),
    /// A grant the client may not use (RFC 6749 §5.2 `unauthorized_client`).
    UnauthorizedClient(String),
    /// A fault of the issuer itself (no randomness, a key that cannot sign): not the caller's.
    Internal(String),
    /// A DPoP proof that fails a check of RFC 9449 §4.3 (the message says which).
    DpopProofInvalid(String),
    /// A DPoP proof signed by another key than the one the token or session is bound to.
    DpopBindingMismatch,
    /// A DPoP proof whose `jti` was seen before.
    DpopReplayed,
    /// The proof lacks the server's current nonce (RFC 9449 §8): retry with `DPoP-Nonce`.
    DpopNonceRequired,
}

impl Error {
    /// The stable code callers branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Expired { .. } => "ERR_JWT_EXPIRED",
            Error::ClaimValidationFailed { .. } => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Error::SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Error::JwsInvalid(_) => "ERR_JWS_INVALID",
            Error::JwtInvalid(_) => "ERR_JWT_INVALID",
            Error::AlgNotAllowed => "ERR_JOSE_ALG_NOT_ALLOWED",
            Error::NoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            Error::Revoked(_) => "ERR_JWT_REVOKED",
            Error::JwksInvalid(_) => "ERR_JWKS_INVALID",
            Error::ReservedClaim(_) => "ERR_JWT_CLAIM_RESERVED",
            Error::RefreshTokenReused => "ERR_REFRESH_TOKEN_REUSED",
            Error::SessionNotFound => "ERR_SESSION_NOT_FOUND",
            Error::StoreUnavailable(_) => "ERR_STORE_UNAVAILABLE",
            Error::InvalidOption(_) => "ERR_INVALID_OPTION",
            Error::ClientMismatch => "ERR_CLIENT_MISMATCH",
            Error::InvalidScope(_) => "ERR_INVALID_SCOPE",
            Error::UnauthorizedClient(_) => "ERR_UNAUTHORIZED_CLIENT",
            Error::Internal(_) => "ERR_INTERNAL",
            Error::DpopProofInvalid(_) => "ERR_DPOP_PROOF_INVALID",
            Error::DpopBindingMismatch => "ERR_DPOP_BINDING_MISMATCH",
            Error::DpopReplayed => "ERR_DPOP_REPLAYED",
            Error::DpopNonceRequired => "ERR_DPOP_NONCE_REQUIRED",
        }
    }

    /// The claim a claim-level failure is about (`exp`, `nbf`, `iat`, `iss`, `aud`, `typ`...).
    pub fn claim(&self) -> Option<&str> {
        match self {
            Error::Expired { claim } => Some(claim),
            Error::ClaimValidationFailed { claim, .. } => Some(claim),
            _ => None,
        }
    }

    /// jose's `reason` for claim failures.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Error::Expired { .. } => Some(ClaimReason::CheckFailed.as_str()),
            Error::ClaimValidationFailed { reason, .. } => Some(reason.as_str()),
            _ => None,
        }
    }

    pub(crate) fn invalid_claim(claim: impl Into<Cow<'static, str>>, reason: ClaimReason) -> Error {
        Error::ClaimValidationFailed {
            claim: claim.into(),
            reason,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Expired { claim: "exp" } => f.write_str("\"exp\" claim timestamp check failed"),
            Error::Expired { claim } => {
                write!(
                    f,
                    "\"{claim}\" claim timestamp check failed (too far in the past)"
                )
            }
            Error::ClaimValidationFailed { claim, reason } => match reason {
                ClaimReason::Missing => write!(f, "missing required \"{claim}\" claim"),
                ClaimReason::Invalid => write!(f, "\"{claim}\" claim is malformed"),
                ClaimReason::CheckFailed => write!(f, "unexpected \"{claim}\" claim value"),
            },
            Error::SignatureVerificationFailed => f.write_str("signature verification failed"),
            Error::JwsInvalid(why) => write!(f, "invalid JWS: {why}"),
            Error::JwtInvalid(why) => write!(f, "invalid JWT: {why}"),
            Error::AlgNotAllowed => f.write_str("\"alg\" (algorithm) header value not allowed"),
            Error::NoMatchingKey => f.write_str("no applicable key found in the JSON Web Key Set"),
            Error::Revoked(by) => write!(f, "token revoked ({})", by.as_str()),
            Error::JwksInvalid(why) => write!(f, "invalid JWKS: {why}"),
            Error::ReservedClaim(name) => {
                write!(f, "custom claim \"{name}\" is reserved and cannot be set")
            }
            Error::RefreshTokenReused => {
                f.write_str("refresh token was already used; the session has been revoked")
            }
            Error::SessionNotFound => {
                f.write_str("the refresh token's session is unknown or ended")
            }
            Error::StoreUnavailable(why) => write!(f, "token store unavailable: {why}"),
            Error::InvalidOption(why) => write!(f, "invalid option: {why}"),
            Error::ClientMismatch => f.write_str("the refresh token was issued to another client"),
            Error::InvalidScope(scope) => {
                write!(f, "scope \"{scope}\" is not one this client may ask for")
            }
            Error::UnauthorizedClient(grant) => {
                write!(f, "this client may not use the {grant} grant")
            }
            Error::Internal(why) => write!(f, "internal error: {why}"),
            Error::DpopProofInvalid(why) => write!(f, "invalid DPoP proof: {why}"),
            Error::DpopBindingMismatch => f.write_str(
                "the DPoP proof is signed by another key than the one the token is bound to",
            ),
            Error::DpopReplayed => {
                f.write_str("this DPoP proof was used before: make a new proof for each request")
            }
            Error::DpopNonceRequired => f.write_str(
                "the DPoP proof must carry the server's nonce: retry with the DPoP-Nonce value",
            ),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
