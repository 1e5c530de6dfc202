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
    /// The key that signed it was revoked (a leaked signing key).
    Key,
}

impl RevokedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokedBy::Token => "jti",
            RevokedBy::Session => "sid",
            RevokedBy::Subject => "sub",
            RevokedBy::Key => "kid",
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
        /// What was expected and what the token has, for a failed check: a token's own
        /// values are not secrets, and a message that names them says what to fix.
        detail: Option<String>,
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
    /// A resource the client may not ask for, or not the one it was authorized for (RFC 8707
    /// `invalid_target`).
    InvalidTarget(String),
    /// An authorization code that is unknown, expired, for another client or redirect URI, or
    /// whose PKCE verifier does not match (RFC 6749 §5.2 `invalid_grant`).
    AuthorizationCodeInvalid(String),
    /// An authorization code presented a second time: the session it started is revoked.
    AuthorizationCodeReused,
    /// A login challenge that is unknown, expired or already answered.
    AuthorizationNotFound,
    /// A redirect URI that may not be registered (RFC 7591 `invalid_redirect_uri`).
    InvalidRedirectUri(String),
    /// Client metadata that cannot be registered (RFC 7591 `invalid_client_metadata`).
    InvalidClientMetadata(String),
    /// A `response_type` other than `code` (RFC 6749 §4.1.2.1).
    UnsupportedResponseType,
    /// A confidential client's refresh token presented without the client's credentials
    /// (RFC 6749 §6: a confidential client authenticates when it refreshes).
    ClientAuthenticationRequired,
    /// A valid token without every scope the resource requires (RFC 6750 §3.1
    /// `insufficient_scope`, 403): `missing` lacks, `required` is all the resource needs.
    InsufficientScope {
        missing: Vec<String>,
        required: Vec<String>,
    },
    /// A client assertion (`private_key_jwt`, RFC 7523 §3) that cannot authenticate its client:
    /// unverifiable, for another audience, too long-lived, or its `jti` used before.
    ClientAssertionInvalid(String),
    /// A token exchange (RFC 8693 §2.2.2 `invalid_request`) whose subject token is not one this
    /// issuer takes from this client, or that asks for a token type or actor it does not issue.
    TokenExchangeInvalid(String),
    /// A JWT bearer grant's assertion (RFC 7523 §3.1 `invalid_grant`) that is not from a trusted
    /// issuer, not for this issuer or this client, replayed, or not an ID-JAG.
    AssertionGrantInvalid(String),
    /// A sign-in through an identity provider that cannot finish: a state not this issuer's or
    /// another browser's, a replayed callback, an ID token that does not verify, the provider's
    /// refusal, a user the allow-list refuses.
    SignInFailed(String),
}

/// The stable codes callers branch on, one per kind of [`Error`]: jose's where jose has one.
/// Each is written once, here; everything else names the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    JwtExpired,
    JwtClaimValidationFailed,
    JwsSignatureVerificationFailed,
    JwsInvalid,
    JwtInvalid,
    JoseAlgNotAllowed,
    JwksNoMatchingKey,
    JwtRevoked,
    JwksInvalid,
    JwtClaimReserved,
    RefreshTokenReused,
    SessionNotFound,
    StoreUnavailable,
    InvalidOption,
    ClientMismatch,
    InvalidScope,
    UnauthorizedClient,
    Internal,
    DpopProofInvalid,
    DpopBindingMismatch,
    DpopReplayed,
    DpopNonceRequired,
    InvalidTarget,
    AuthorizationCodeInvalid,
    AuthorizationCodeReused,
    AuthorizationNotFound,
    InvalidRedirectUri,
    InvalidClientMetadata,
    UnsupportedResponseType,
    ClientAuthenticationRequired,
    InsufficientScope,
    ClientAssertionInvalid,
    TokenExchangeInvalid,
    AssertionGrantInvalid,
    SignInFailed,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 35] = [
        ErrorCode::JwtExpired,
        ErrorCode::JwtClaimValidationFailed,
        ErrorCode::JwsSignatureVerificationFailed,
        ErrorCode::JwsInvalid,
        ErrorCode::JwtInvalid,
        ErrorCode::JoseAlgNotAllowed,
        ErrorCode::JwksNoMatchingKey,
        ErrorCode::JwtRevoked,
        ErrorCode::JwksInvalid,
        ErrorCode::JwtClaimReserved,
        ErrorCode::RefreshTokenReused,
        ErrorCode::SessionNotFound,
        ErrorCode::StoreUnavailable,
        ErrorCode::InvalidOption,
        ErrorCode::ClientMismatch,
        ErrorCode::InvalidScope,
        ErrorCode::UnauthorizedClient,
        ErrorCode::Internal,
        ErrorCode::DpopProofInvalid,
        ErrorCode::DpopBindingMismatch,
        ErrorCode::DpopReplayed,
        ErrorCode::DpopNonceRequired,
        ErrorCode::InvalidTarget,
        ErrorCode::AuthorizationCodeInvalid,
        ErrorCode::AuthorizationCodeReused,
        ErrorCode::AuthorizationNotFound,
        ErrorCode::InvalidRedirectUri,
        ErrorCode::InvalidClientMetadata,
        ErrorCode::UnsupportedResponseType,
        ErrorCode::ClientAuthenticationRequired,
        ErrorCode::InsufficientScope,
        ErrorCode::ClientAssertionInvalid,
        ErrorCode::TokenExchangeInvalid,
        ErrorCode::AssertionGrantInvalid,
        ErrorCode::SignInFailed,
    ];

    /// The code's text (`ERR_JWT_EXPIRED`...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::JwtExpired => "ERR_JWT_EXPIRED",
            ErrorCode::JwtClaimValidationFailed => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            ErrorCode::JwsSignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            ErrorCode::JwsInvalid => "ERR_JWS_INVALID",
            ErrorCode::JwtInvalid => "ERR_JWT_INVALID",
            ErrorCode::JoseAlgNotAllowed => "ERR_JOSE_ALG_NOT_ALLOWED",
            ErrorCode::JwksNoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            ErrorCode::JwtRevoked => "ERR_JWT_REVOKED",
            ErrorCode::JwksInvalid => "ERR_JWKS_INVALID",
            ErrorCode::JwtClaimReserved => "ERR_JWT_CLAIM_RESERVED",
            ErrorCode::RefreshTokenReused => "ERR_REFRESH_TOKEN_REUSED",
            ErrorCode::SessionNotFound => "ERR_SESSION_NOT_FOUND",
            ErrorCode::StoreUnavailable => "ERR_STORE_UNAVAILABLE",
            ErrorCode::InvalidOption => "ERR_INVALID_OPTION",
            ErrorCode::ClientMismatch => "ERR_CLIENT_MISMATCH",
            ErrorCode::InvalidScope => "ERR_INVALID_SCOPE",
            ErrorCode::UnauthorizedClient => "ERR_UNAUTHORIZED_CLIENT",
            ErrorCode::Internal => "ERR_INTERNAL",
            ErrorCode::DpopProofInvalid => "ERR_DPOP_PROOF_INVALID",
            ErrorCode::DpopBindingMismatch => "ERR_DPOP_BINDING_MISMATCH",
            ErrorCode::DpopReplayed => "ERR_DPOP_REPLAYED",
            ErrorCode::DpopNonceRequired => "ERR_DPOP_NONCE_REQUIRED",
            ErrorCode::InvalidTarget => "ERR_INVALID_TARGET",
            ErrorCode::AuthorizationCodeInvalid => "ERR_AUTHORIZATION_CODE_INVALID",
            ErrorCode::AuthorizationCodeReused => "ERR_AUTHORIZATION_CODE_REUSED",
            ErrorCode::AuthorizationNotFound => "ERR_AUTHORIZATION_NOT_FOUND",
            ErrorCode::InvalidRedirectUri => "ERR_INVALID_REDIRECT_URI",
            ErrorCode::InvalidClientMetadata => "ERR_INVALID_CLIENT_METADATA",
            ErrorCode::UnsupportedResponseType => "ERR_UNSUPPORTED_RESPONSE_TYPE",
            ErrorCode::ClientAuthenticationRequired => "ERR_CLIENT_AUTHENTICATION_REQUIRED",
            ErrorCode::InsufficientScope => "ERR_INSUFFICIENT_SCOPE",
            ErrorCode::ClientAssertionInvalid => "ERR_CLIENT_ASSERTION_INVALID",
            ErrorCode::TokenExchangeInvalid => "ERR_TOKEN_EXCHANGE_INVALID",
            ErrorCode::AssertionGrantInvalid => "ERR_ASSERTION_GRANT_INVALID",
            ErrorCode::SignInFailed => "ERR_SIGN_IN_FAILED",
        }
    }

    /// The code of this text, if it is one (a code that crossed from elsewhere as text).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// A failed DPoP proof, or a bound token without one (RFC 9449 §7.1 `invalid_dpop_proof`,
    /// or `use_dpop_nonce` for [`ErrorCode::DpopNonceRequired`]).
    pub const fn is_dpop(self) -> bool {
        matches!(
            self,
            ErrorCode::DpopProofInvalid
                | ErrorCode::DpopBindingMismatch
                | ErrorCode::DpopReplayed
                | ErrorCode::DpopNonceRequired
        )
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The stable code callers branch on.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Error::Expired { .. } => ErrorCode::JwtExpired,
            Error::ClaimValidationFailed { .. } => ErrorCode::JwtClaimValidationFailed,
            Error::SignatureVerificationFailed => ErrorCode::JwsSignatureVerificationFailed,
            Error::JwsInvalid(_) => ErrorCode::JwsInvalid,
            Error::JwtInvalid(_) => ErrorCode::JwtInvalid,
            Error::AlgNotAllowed => ErrorCode::JoseAlgNotAllowed,
            Error::NoMatchingKey => ErrorCode::JwksNoMatchingKey,
            Error::Revoked(_) => ErrorCode::JwtRevoked,
            Error::JwksInvalid(_) => ErrorCode::JwksInvalid,
            Error::ReservedClaim(_) => ErrorCode::JwtClaimReserved,
            Error::RefreshTokenReused => ErrorCode::RefreshTokenReused,
            Error::SessionNotFound => ErrorCode::SessionNotFound,
            Error::StoreUnavailable(_) => ErrorCode::StoreUnavailable,
            Error::InvalidOption(_) => ErrorCode::InvalidOption,
            Error::ClientMismatch => ErrorCode::ClientMismatch,
            Error::InvalidScope(_) => ErrorCode::InvalidScope,
            Error::UnauthorizedClient(_) => ErrorCode::UnauthorizedClient,
            Error::Internal(_) => ErrorCode::Internal,
            Error::DpopProofInvalid(_) => ErrorCode::DpopProofInvalid,
            Error::DpopBindingMismatch => ErrorCode::DpopBindingMismatch,
            Error::DpopReplayed => ErrorCode::DpopReplayed,
            Error::DpopNonceRequired => ErrorCode::DpopNonceRequired,
            Error::InvalidTarget(_) => ErrorCode::InvalidTarget,
            Error::AuthorizationCodeInvalid(_) => ErrorCode::AuthorizationCodeInvalid,
            Error::AuthorizationCodeReused => ErrorCode::AuthorizationCodeReused,
            Error::AuthorizationNotFound => ErrorCode::AuthorizationNotFound,
            Error::InvalidRedirectUri(_) => ErrorCode::InvalidRedirectUri,
            Error::InvalidClientMetadata(_) => ErrorCode::InvalidClientMetadata,
            Error::UnsupportedResponseType => ErrorCode::UnsupportedResponseType,
            Error::ClientAuthenticationRequired => ErrorCode::ClientAuthenticationRequired,
            Error::InsufficientScope { .. } => ErrorCode::InsufficientScope,
            Error::ClientAssertionInvalid(_) => ErrorCode::ClientAssertionInvalid,
            Error::TokenExchangeInvalid(_) => ErrorCode::TokenExchangeInvalid,
            Error::AssertionGrantInvalid(_) => ErrorCode::AssertionGrantInvalid,
            Error::SignInFailed(_) => ErrorCode::SignInFailed,
        }
    }

    /// The stable code's text.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
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

    pub fn invalid_claim(claim: impl Into<Cow<'static, str>>, reason: ClaimReason) -> Error {
        Error::ClaimValidationFailed {
            claim: claim.into(),
            reason,
            detail: None,
        }
    }

    /// A claim (or the `typ` header) whose value is not the expected one, naming both.
    pub(crate) fn unexpected_claim(
        claim: impl Into<Cow<'static, str>>,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> Error {
        Error::ClaimValidationFailed {
            claim: claim.into(),
            reason: ClaimReason::CheckFailed,
            detail: Some(format!("expected {expected}, got {actual}")),
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
            Error::ClaimValidationFailed {
                claim,
                reason,
                detail,
            } => {
                match reason {
                    ClaimReason::Missing => write!(f, "missing required \"{claim}\" claim")?,
                    ClaimReason::Invalid => write!(f, "\"{claim}\" claim is malformed")?,
                    // `typ` is the one header checked: say so.
                    ClaimReason::CheckFailed if claim == "typ" => {
                        f.write_str("unexpected \"typ\" header value")?
                    }
                    ClaimReason::CheckFailed => write!(f, "unexpected \"{claim}\" claim value")?,
                }
                match detail {
                    Some(detail) => write!(f, ": {detail}"),
                    None => Ok(()),
                }
            }
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
            #[cfg(feature = "issuer")]
            Error::RefreshTokenReused => {
                f.write_str("refresh token was already used; the session has been revoked")
            }
            #[cfg(feature = "issuer")]
            Error::SessionNotFound => {
                f.write_str("the refresh token's session is unknown or ended")
            }
            Error::StoreUnavailable(why) => write!(f, "token store unavailable: {why}"),
            Error::InvalidOption(why) => write!(f, "invalid option: {why}"),
            #[cfg(feature = "issuer")]
            Error::ClientMismatch => f.write_str("the refresh token was issued to another client"),
            #[cfg(feature = "issuer")]
            Error::InvalidScope(scope) => {
                write!(f, "scope \"{scope}\" is not one this client may ask for")
            }
            #[cfg(feature = "issuer")]
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
            #[cfg(feature = "issuer")]
            Error::InvalidTarget(why) => write!(f, "invalid resource: {why}"),
            #[cfg(feature = "issuer")]
            Error::AuthorizationCodeInvalid(why) => write!(f, "invalid authorization code: {why}"),
            #[cfg(feature = "issuer")]
            Error::AuthorizationCodeReused => f.write_str(
                "the authorization code was used before; the session it started is revoked",
            ),
            #[cfg(feature = "issuer")]
            Error::AuthorizationNotFound => f.write_str(
                "no such pending authorization: the login challenge is unknown, expired or answered",
            ),
            #[cfg(feature = "issuer")]
            Error::InvalidRedirectUri(why) => write!(f, "invalid redirect URI: {why}"),
            #[cfg(feature = "issuer")]
            Error::InvalidClientMetadata(why) => write!(f, "invalid client metadata: {why}"),
            #[cfg(feature = "issuer")]
            Error::UnsupportedResponseType => {
                f.write_str("response_type must be code (the authorization code flow)")
            }
            #[cfg(feature = "issuer")]
            Error::ClientAuthenticationRequired => f.write_str(
                "this refresh token was issued to a confidential client: refresh it with the \
                 client's credentials",
            ),
            Error::InsufficientScope { missing, required } => write!(
                f,
                "the token lacks scope \"{}\": this resource needs \"{}\"; get a token with \
                 that scope",
                missing.join(" "),
                required.join(" ")
            ),
            #[cfg(feature = "issuer")]
            Error::ClientAssertionInvalid(why) => write!(f, "invalid client assertion: {why}"),
            #[cfg(feature = "issuer")]
            Error::TokenExchangeInvalid(why) => write!(f, "invalid token exchange: {why}"),
            #[cfg(feature = "issuer")]
            Error::AssertionGrantInvalid(why) => write!(f, "invalid assertion: {why}"),
            #[cfg(feature = "issuer")]
            Error::SignInFailed(why) => write!(f, "sign-in failed: {why}"),
            // Errors only the issuer raises: their messages stay out of the npm package.
            #[cfg(not(feature = "issuer"))]
            _ => f.write_str(self.code()),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
