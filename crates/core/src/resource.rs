//! A request to a resource server (RFC 6750, RFC 9449 §7): its `Authorization` header, its
//! `DPoP` header, its method and URL. The access token is verified as [`Verifier::verify`]
//! does; a token bound to a key (`cnf.jkt`, RFC 9449 §6) must come with the `DPoP` scheme and a
//! proof signed by that key for this very request, and a bound token presented as `Bearer` is a
//! downgrade, refused.

use crate::dpop::{
    header_proof_job, DpopProof, ProofJob, ProofOptions, ProofRequest, SeenProofs,
    DEFAULT_PROOF_ALGORITHMS,
};
use crate::error::{Error, ErrorCode, Result};
use crate::verify::{ParsedClaims, Proof, Read, SignatureJob, Verifier};

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
pub enum Scheme {
    Bearer,
    Dpop,
}

impl Scheme {
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Dpop => "DPoP",
        }
    }
}

/// The `error` a resource server answers for a refused request (RFC 6750 §3.1, RFC 9449
/// §7.1): `invalid_dpop_proof` for a proof that fails (or a bound token without one),
/// `use_dpop_nonce` when the server's nonce is wanted, `invalid_token` for anything else.
pub const fn resource_error(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InsufficientScope => "insufficient_scope",
        ErrorCode::DpopNonceRequired => "use_dpop_nonce",
        code if code.is_dpop() => "invalid_dpop_proof",
        _ => "invalid_token",
    }
}

/// The status of a resource's refusal: 403 for a valid token without the scope the request
/// needs (RFC 6750 §3.1), 401 for every other.
pub const fn resource_status(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::InsufficientScope => 403,
        _ => 401,
    }
}

/// The scheme a refusal's challenge concerns: `DPoP` for a proof's failure, otherwise the one
/// the token came with.
pub const fn challenge_scheme(code: ErrorCode, presented: Scheme) -> Scheme {
    if code.is_dpop() {
        Scheme::Dpop
    } else {
        presented
    }
}

/// One `WWW-Authenticate` challenge (RFC 9110 §11.6.1) of a resource server: its scheme, then
/// `realm`, `error` and `error_description` when given, and for `DPoP` the proof algorithms it
/// accepts (`algs`, RFC 9449 §7.1). Quotes and backslashes in values are dropped.
pub fn challenge(
    scheme: Scheme,
    realm: Option<&str>,
    error: Option<&str>,
    description: Option<&str>,
) -> String {
    let quoted = |value: &str| -> String {
        let clean: String = value.chars().filter(|c| !matches!(c, '"' | '\\')).collect();
        format!("\"{clean}\"")
    };
    let mut params: Vec<String> = Vec::new();
    if let Some(realm) = realm {
        params.push(format!("realm={}", quoted(realm)));
    }
    if let Some(error) = error {
        params.push(format!("error={}", quoted(error)));
    }
    if let Some(description) = description {
        params.push(format!("error_description={}", quoted(description)));
    }
    if scheme == Scheme::Dpop {
        let algs: Vec<&str> = DEFAULT_PROOF_ALGORITHMS.iter().map(|a| a.name()).collect();
        params.push(format!("algs={}", quoted(&algs.join(" "))));
    }
    if params.is_empty() {
        scheme.as_str().to_owned()
    } else {
        format!("{} {}", scheme.as_str(), params.join(", "))
    }
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

/// `challenge` with `resource_metadata` (RFC 9728 §5.1): where a client that was refused finds
/// the resource's metadata, and from it the authorization servers to get a token from.
pub fn with_resource_metadata(challenge: String, url: &str) -> String {
    with_param(challenge, "resource_metadata", url)
}

/// `challenge` with `scope` (RFC 6750 §3): every scope the request needs, so that a client
/// asks for them all at once (a 401's first token, a 403's step-up).
pub fn with_scope(challenge: String, scope: &str) -> String {
    with_param(challenge, "scope", scope)
}

/// `challenge` with one more parameter; quotes and backslashes in the value are dropped.
fn with_param(challenge: String, name: &str, value: &str) -> String {
    let clean: String = value.chars().filter(|c| !matches!(c, '"' | '\\')).collect();
    let separator = if challenge.contains(' ') { ", " } else { " " };
    format!("{challenge}{separator}{name}=\"{clean}\"")
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
    request_job(verifier, request, options)?.finish(verifier, (None, None), options, seen)
}

/// A resource request with every check run but its two signatures' (the token's and, for a
/// bound token, its proof's), for a host's WebCrypto to verify; [`RequestJob::finish`] then
/// releases the outcome in the order [`verify_request`] reports it.
#[derive(Debug, Clone)]
pub struct RequestJob {
    scheme: Scheme,
    now: u64,
    pub token: SignatureJob,
    proof: Result<Option<ProofJob>>,
}

/// [`verify_request`] but the signatures: what fails before them is the error.
pub fn request_job(
    verifier: &Verifier,
    request: &ResourceRequest<'_>,
    options: &ProofOptions,
) -> Result<RequestJob> {
    let (scheme, token) = credentials(request.authorization.unwrap_or_default())?;
    // The binding (`cnf`) and a revocation check read the claims map: built from this parse.
    let token_job = verifier.signature_job_with(token, request.now, Proof::Checked, Read::Map)?;
    let bound = token_job
        .outcome
        .as_ref()
        .is_ok_and(|claims| matches!(claims.claims().bound_key(), Ok(Some(_))));
    let proof = if bound && scheme == Scheme::Dpop {
        let proof_request = ProofRequest {
            method: request.method,
            url: request.url,
            access_token: Some(token),
            nonce: None,
            now: request.now,
        };
        header_proof_job(request.dpop, &proof_request, options)
    } else {
        Ok(None)
    };
    Ok(RequestJob {
        scheme,
        now: request.now,
        token: token_job,
        proof,
    })
}

impl RequestJob {
    /// The bound token's proof to verify, if the request has one that could be read.
    pub fn proof(&self) -> Option<&ProofJob> {
        self.proof.as_ref().ok().and_then(Option::as_ref)
    }

    /// The request's outcome, given the host's verdicts on the token's and the proof's
    /// signatures (`None`: check it here).
    pub fn finish(
        self,
        verifier: &Verifier,
        (token_valid, proof_valid): (Option<bool>, Option<bool>),
        options: &ProofOptions,
        seen: &mut SeenProofs,
    ) -> Result<VerifiedRequest> {
        if !token_valid.unwrap_or_else(|| verifier.signature_holds(&self.token)) {
            return Err(Error::SignatureVerificationFailed);
        }
        let claims = self.token.outcome?;
        let jkt = claims.claims().bound_key()?.map(str::to_owned);
        match (jkt, self.scheme) {
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
                let proof = self
                    .proof?
                    .ok_or_else(|| Error::DpopProofInvalid("the DPoP header is missing".into()))?
                    .finish(proof_valid)?;
                proof.check_binding(&jkt)?;
                seen.remember(&proof, self.now, options)?;
                Ok(VerifiedRequest {
                    claims,
                    proof: Some(proof),
                })
            }
        }
    }
}
