//! DPoP at the Worker's edge (RFC 9449): a request's proof checked against the request, and
//! the issuer's own access tokens checked as a resource server checks them. The rules are the
//! core's; this reads the headers and holds the isolate's replay set.

use std::cell::RefCell;

use edge_jwt_core::dpop::{header_proof, DpopProof, ProofOptions, ProofRequest, SeenProofs};
use edge_jwt_core::resource::{verify_request, ResourceRequest};
use edge_jwt_core::{AccessClaims, Error, Verifier};

use crate::api::error::Presented;
use crate::api::incoming::Incoming;
use crate::api::ApiError;

/// Proofs this isolate has seen where no session's object keeps them: the demo resource's, and
/// client credentials grants' (whose client also authenticates). Bounded; the README says what
/// a per-isolate set does not cover.
const SEEN_CAPACITY: usize = 10_000;

thread_local! {
    static SEEN: RefCell<SeenProofs> = RefCell::new(SeenProofs::new(SEEN_CAPACITY));
}

/// The proof of a token request's `DPoP` header (`None` without one), checked against the
/// request: its method, its URL (the token endpoint as the client reached it), `now`, and,
/// given the issuer's `nonces` (its current one and the one before), its `nonce` (RFC 9449
/// §8): without one of them, `use_dpop_nonce` with the current one in `DPoP-Nonce`. Its `jti`
/// is for the caller's store.
pub fn token_request_proof<B>(
    req: &Incoming<B>,
    now: u64,
    nonces: Option<&[String; 2]>,
) -> Result<Option<DpopProof>, ApiError> {
    let check = |nonce: Option<&str>| {
        let request = ProofRequest {
            method: "POST",
            url: &req.url,
            access_token: None,
            nonce,
            now,
        };
        header_proof(req.header("DPoP"), &request, &ProofOptions::default())
    };
    let Some([current, previous]) = nonces else {
        return Ok(check(None)?);
    };
    // A client may still hold the window before's nonce; each is checked whole, as the proof.
    let checked = match check(Some(current)) {
        Err(Error::DpopNonceRequired) => check(Some(previous)),
        checked => checked,
    };
    match checked {
        Err(Error::DpopNonceRequired) => Err(ApiError {
            dpop_nonce: Some(current.as_str().into()),
            ..ApiError::from(Error::DpopNonceRequired)
        }),
        checked => Ok(checked?),
    }
}

/// Marks a proof's `jti` seen in this isolate; `ERR_DPOP_REPLAYED` if it was.
pub fn remember(proof: &DpopProof, now: u64) -> Result<(), ApiError> {
    SEEN.with(|seen| {
        seen.borrow_mut()
            .remember(proof, now, &ProofOptions::default())
    })?;
    Ok(())
}

/// An access token of the issuer's, verified by `verifier`, of a request to a protected resource
/// (the demo's): `Bearer`, or `DPoP` with a proof by the key the token is bound to. Not checked against the revocation
/// list: the caller does that.
pub fn resource_claims<B>(
    req: &Incoming<B>,
    verifier: &Verifier,
    now: u64,
) -> Result<AccessClaims, ApiError> {
    let as_resource = |e: edge_jwt_core::Error| ApiError::from_core(&e, Presented::Resource);
    let request = ResourceRequest {
        authorization: req.header("Authorization"),
        dpop: req.header("DPoP"),
        method: &req.method,
        url: &req.url,
        now,
    };
    let verified = SEEN
        .with(|seen| {
            verify_request(
                verifier,
                &request,
                &ProofOptions::default(),
                &mut seen.borrow_mut(),
            )
        })
        .map_err(as_resource)?;
    let (claims, kid) = verified.claims.into_parts();
    AccessClaims::from_claims(claims, kid).map_err(as_resource)
}
