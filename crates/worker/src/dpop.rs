//! DPoP at the Worker's edge (RFC 9449): a request's proof checked against the request, and
//! the issuer's own access tokens checked as a resource server checks them. The rules are the
//! core's; this reads the headers and holds the isolate's replay set.

use std::cell::RefCell;

use edge_jwt_core::dpop::{header_proof, DpopProof, ProofOptions, ProofRequest, SeenProofs};
use edge_jwt_core::resource::{verify_request, ResourceRequest};
use edge_jwt_core::{AccessClaims, Clock};
use worker::Request;

use crate::api::error::Presented;
use crate::api::settings::Settings;
use crate::api::ApiError;
use crate::clock::WorkerClock;
use crate::http;

/// Proofs this isolate has seen where no session's object keeps them: the demo resource's, and
/// client credentials grants' (whose client also authenticates). Bounded; the README says what
/// a per-isolate set does not cover.
const SEEN_CAPACITY: usize = 10_000;

thread_local! {
    static SEEN: RefCell<SeenProofs> = RefCell::new(SeenProofs::new(SEEN_CAPACITY));
}

/// The request's URL as the runtime gives it, as text: `Request::url` would parse it with the
/// `url` crate, whose IDNA tables would add about 100 KB to the Worker (the core compares URLs).
fn url(req: &Request) -> String {
    req.inner().url()
}

/// The proof of a token request's `DPoP` header (`None` without one), checked against the
/// request: its method, its URL (the token endpoint as the client reached it), its time. Its
/// `jti` is for the caller's store.
pub fn token_request_proof(req: &Request) -> Result<Option<DpopProof>, ApiError> {
    let url = url(req);
    let request = ProofRequest {
        method: "POST",
        url: &url,
        access_token: None,
        nonce: None,
        now: WorkerClock.now(),
    };
    let header = http::header(req, "DPoP");
    Ok(header_proof(
        header.as_deref(),
        &request,
        &ProofOptions::default(),
    )?)
}

/// Marks a proof's `jti` seen in this isolate; `ERR_DPOP_REPLAYED` if it was.
pub fn remember(proof: &DpopProof) -> Result<(), ApiError> {
    SEEN.with(|seen| {
        seen.borrow_mut()
            .remember(proof, WorkerClock.now(), &ProofOptions::default())
    })?;
    Ok(())
}

/// The issuer's own access token of a request to a protected resource (the demo's): `Bearer`,
/// or `DPoP` with a proof by the key the token is bound to. Not checked against the revocation
/// list: the caller does that.
pub fn resource_claims(req: &Request, settings: &Settings) -> Result<AccessClaims, ApiError> {
    let as_resource = |e: edge_jwt_core::Error| ApiError::from_core(&e, Presented::Resource);
    let url = url(req);
    let authorization = http::header(req, "Authorization");
    let dpop = http::header(req, "DPoP");
    let method = req.method().to_string();
    let request = ResourceRequest {
        authorization: authorization.as_deref(),
        dpop: dpop.as_deref(),
        method: &method,
        url: &url,
        now: WorkerClock.now(),
    };
    let verified = SEEN
        .with(|seen| {
            verify_request(
                settings.issuer.access_verifier(),
                &request,
                &ProofOptions::default(),
                &mut seen.borrow_mut(),
            )
        })
        .map_err(as_resource)?;
    AccessClaims::from_claims(verified.claims.claims).map_err(as_resource)
}
