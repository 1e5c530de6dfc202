//! A request to a resource server (RFC 6750, RFC 9449 §7): its `Authorization` header, its
//! `DPoP` header, its method and URL. The access token is verified as [`Verifier::verify`]
//! does; a token bound to a key (`cnf.jkt`, RFC 9449 §6) must come with the `DPoP` scheme and a
//! proof signed by that key for this very request, and a bound token presented as `Bearer` is a
//! downgrade, refused.

use serde_json::Value;

use crate::dpop::{header_proof, DpopProof, ProofOptions, ProofRequest, SeenProofs};
use crate::error::{ClaimReason, Error, Result};
use crate::verify::{ParsedClaims, Verifier};

/// What a resource server received.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRequest<'a> {
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `DPoP` header, if any (a Fetch `Headers` joins repeated headers with `, `).
    pub dpop: Option<&'a str>,
    pub method: &'a str,
    pub url: &'a str,
    /// Seconds since the epoch.
    pub now: u64,
}

/// The access token's claims, and the proof when the token is bound.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    pub claims: ParsedClaims,
    pub proof: Option<DpopProof>,
}

/// The two schemes a token may come with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

/// `Bearer <token>` or `DPoP <token>`, the scheme case-insensitive (RFC 9110 §11.1).
fn credentials(header: &str) -> Result<(Scheme, &str)> {
    let missing = || Error::JwsInvalid("the Authorization header has no Bearer or DPoP token");
    let (scheme, token) = header.trim().split_once(' ').ok_or_else(missing)?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Err(missing());
    };
    let token = token.trim_start();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(missing());
    }
    Ok((scheme, token))
}

/// The key a token is bound to: its `cnf.jkt`, if it has a `cnf`.
fn bound_key(claims: &ParsedClaims) -> Result<Option<&str>> {
    match claims.claims.as_map().get("cnf") {
        None => Ok(None),
        Some(Value::Object(cnf)) => match cnf.get("jkt") {
            Some(Value::String(jkt)) => Ok(Some(jkt)),
            _ => Err(Error::invalid_claim("cnf", ClaimReason::Invalid)),
        },
        Some(_) => Err(Error::invalid_claim("cnf", ClaimReason::Invalid)),
    }
}

/// Verifies a resource request: the token by `verifier`'s rules, then its binding (RFC 9449
/// §7.1): a bound token needs the `DPoP` scheme and a proof by its key for this method and
/// URL, with `ath` the token's hash, whose `jti` `seen` has not seen; an unbound token needs the
/// `Bearer` scheme.
pub fn verify_request(
    verifier: &Verifier,
    request: &ResourceRequest<'_>,
    options: &ProofOptions,
    seen: &mut SeenProofs,
) -> Result<VerifiedRequest> {
    let (scheme, token) = credentials(request.authorization.unwrap_or_default())?;
    let claims = verifier.verify_to_json(token, request.now)?;
    match (bound_key(&claims)?, scheme) {
        (None, Scheme::Bearer) => Ok(VerifiedRequest {
            claims,
            proof: None,
        }),
        (None, Scheme::Dpop) => Err(Error::DpopProofInvalid(
            "the token is not bound to a key (no cnf.jkt): send it as a Bearer token".into(),
        )),
        (Some(_), Scheme::Bearer) => Err(Error::DpopProofInvalid(
            "the token is bound to a key (cnf.jkt): send it with the DPoP scheme and a proof, \
             not as a Bearer token"
                .into(),
        )),
        (Some(jkt), Scheme::Dpop) => {
            let proof_request = ProofRequest {
                method: request.method,
                url: request.url,
                access_token: Some(token),
                nonce: None,
                now: request.now,
            };
            let proof = header_proof(request.dpop, &proof_request, options)?
                .ok_or_else(|| Error::DpopProofInvalid("the DPoP header is missing".into()))?;
            proof.check_binding(jkt)?;
            seen.remember(&proof, request.now, options)?;
            Ok(VerifiedRequest {
                claims,
                proof: Some(proof),
            })
        }
    }
}
