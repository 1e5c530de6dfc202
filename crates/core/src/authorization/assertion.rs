//! Client authentication with a signed assertion: `private_key_jwt` (RFC 7523 §2.2 and §3,
//! RFC 7521 §4.2, OpenID Connect Core §9). The client signs a short-lived JWT with a key whose
//! public half the issuer knows (configured, registered, or at the `jwks_uri` of its metadata
//! document); the issuer checks it with the verifier's own rules and keys. Each `jti` is used
//! once: the caller keeps it, exactly, until the assertion expires ([`VerifiedAssertion`]).

use serde_json::Value;

use crate::claims::Claims;
use crate::error::{Error, Result};
use crate::keys::{Algorithm, VerificationKeys};
use crate::verify::{Verifier, VerifyOptions};

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The token endpoint method it is (RFC 7591 §2).
pub const PRIVATE_KEY_JWT: &str = "private_key_jwt";

/// The algorithms a client may sign its assertions with: asymmetric only (a shared secret
/// would be `client_secret_jwt`, which the issuer does not take).
pub const ASSERTION_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::EdDSA,
    Algorithm::ES256,
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::RS384,
    Algorithm::RS512,
];

/// The longest an assertion may live, from now to its `exp`: a few minutes, so the record of
/// its `jti` is short.
pub const MAX_ASSERTION_LIFETIME: u64 = 300;

/// What an assertion was checked against.
#[derive(Debug, Clone, Copy)]
pub struct AssertionCheck<'a> {
    /// The client it must be from (`iss` and `sub`).
    pub client_id: &'a str,
    /// The audiences it may name: the issuer, and the endpoint it is presented at (a client
    /// may name either, RFC 7523 §3 and OpenID Connect Core §9).
    pub audiences: &'a [&'a str],
    pub now: u64,
    pub leeway: u64,
}

/// A verified assertion: its `jti`, to be used once, and until when it must be remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub jti: String,
    /// Its `exp` plus the leeway: after this it is refused as expired anyway.
    pub remember_until: u64,
}

/// A signed assertion's claims, checked with `jwks` (a JWKS or one JWK, as text) by `options`
/// (asymmetric algorithms only), and the rules every assertion shares: a `jti` of 1 to 256
/// bytes, an `exp` at most [`MAX_ASSERTION_LIFETIME`] away. Answers the claims, the `jti` and
/// until when the `jti` must be remembered; the failure says what, for the caller's error.
pub(crate) fn verify_short_lived(
    assertion: &str,
    jwks: &str,
    options: VerifyOptions,
    now: u64,
) -> std::result::Result<(Claims, VerifiedAssertion), String> {
    let leeway = options.leeway;
    let keys = VerificationKeys::from_jwks(jwks, Some(&ASSERTION_ALGORITHMS))
        .map_err(|e| format!("the keys cannot be used: {e}"))?;
    let options = VerifyOptions {
        algorithms: Some(ASSERTION_ALGORITHMS.to_vec()),
        ..options
    };
    let verifier = Verifier::new(keys, options).map_err(|e| e.to_string())?;
    let claims = verifier
        .verify(assertion, now)
        .map_err(|e| format!("it does not verify: {e}"))?;
    let jti = match claims.string("jti").ok().flatten() {
        Some(jti) if !jti.is_empty() && jti.len() <= 256 => jti.to_owned(),
        _ => return Err("it needs a jti of 1 to 256 bytes".into()),
    };
    // `exp` is required and checked by the verifier; it may not be far away.
    let exp = claims.numeric_date("exp").ok().flatten().unwrap_or(0.0);
    if exp > (now + MAX_ASSERTION_LIFETIME + leeway) as f64 {
        return Err(format!(
            "its exp is more than {MAX_ASSERTION_LIFETIME} seconds away: make a new one per request"
        ));
    }
    let verified = VerifiedAssertion {
        jti,
        remember_until: exp as u64 + leeway,
    };
    Ok((claims, verified))
}

/// Checks a client assertion with the client's public keys (`jwks`: a JWKS or one JWK, as
/// text). Every failure is `ClientAssertionInvalid`, saying what to fix.
pub fn verify_assertion(
    assertion: &str,
    jwks: &str,
    check: &AssertionCheck<'_>,
) -> Result<VerifiedAssertion> {
    let invalid = |why: String| Error::ClientAssertionInvalid(why);
    let options = VerifyOptions {
        issuer: Some(check.client_id.to_owned()),
        leeway: check.leeway,
        typ: None,
        ..VerifyOptions::default()
    };
    let (claims, verified) =
        verify_short_lived(assertion, jwks, options, check.now).map_err(invalid)?;
    if claims.string("sub").ok().flatten() != Some(check.client_id) {
        return Err(invalid("its sub must be the client_id".into()));
    }
    let audiences: Vec<&str> = match claims.as_map().get("aud") {
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.iter().any(|aud| check.audiences.contains(aud)) {
        return Err(invalid(format!(
            "its aud must name this issuer or this endpoint: one of {:?}",
            check.audiences
        )));
    }
    Ok(verified)
}

/// The store key that records an assertion's `jti` as used, per client.
pub fn used_assertion_key(client_id: &str, jti: &str) -> String {
    format!("client-assertion:{client_id}:{jti}")
}
