//! A resource server's check of a request (RFC 6750, RFC 9449 §7): the token, its binding and
//! its proof, checked here (`verify_request`) or with the two signatures left to a host's
//! WebCrypto (`request_job`), which must give the same answers.

mod support;

use edge_jwt_core::dpop::{jwk_thumbprint, ProofOptions, SeenProofs};
use edge_jwt_core::dpop_client::{proof_signing_input, ProofClaims};
use edge_jwt_core::resource::{request_job, verify_request, ResourceRequest, VerifiedRequest};
use edge_jwt_core::verify::{Verifier, VerifyOptions};
use edge_jwt_core::{Algorithm, Error, KeySet, SessionClaims, SigningKey};
use serde_json::Map;
use support::*;

const URL: &str = "https://api.test/orders";

struct Fixture {
    issuer: edge_jwt_core::TokenIssuer,
    client: KeySet,
    jkt: String,
}

fn fixture() -> Fixture {
    let client = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
    let jwk = client.public_jwks()["keys"][0].as_object().unwrap().clone();
    Fixture {
        issuer: issuer(),
        jkt: jwk_thumbprint(&jwk).unwrap(),
        client,
    }
}

impl Fixture {
    fn token(&self, jkt: Option<&str>) -> String {
        let session = SessionClaims {
            sid: "s1".into(),
            sub: "user-1".into(),
            client_id: "spa".into(),
            scope: None,
            claims: Map::new(),
            ends_at: T0 + 86_400,
            jkt: jkt.map(str::to_owned),
            audience: None,
            confidential: false,
        };
        self.issuer.sign_access_for_tests(&session, T0)
    }

    fn proof(&self, token: &str, jti: &str) -> String {
        let jwk = self.client.public_jwks()["keys"][0]
            .as_object()
            .unwrap()
            .clone();
        let input = proof_signing_input(&ProofClaims {
            jwk: &jwk,
            algorithm: Algorithm::EdDSA,
            method: "GET",
            url: URL,
            iat: T0,
            jti,
            access_token: Some(token),
            nonce: None,
        })
        .unwrap();
        sign_input(self.client.signer(), &input)
    }

    /// Checked here, and again through a job whose signatures a "host" judged `verdicts`:
    /// both answers, which must agree when the verdicts are the truth.
    fn check(
        &self,
        authorization: &str,
        dpop: Option<&str>,
        verdicts: (Option<bool>, Option<bool>),
    ) -> (
        Result<VerifiedRequest, Error>,
        Result<VerifiedRequest, Error>,
    ) {
        let request = ResourceRequest {
            authorization: Some(authorization),
            dpop,
            method: "GET",
            url: URL,
            now: T0,
        };
        // A resource server's verifier, with the package's defaults.
        let verifier = &self.verifier(false);
        let options = ProofOptions::default();
        let here = verify_request(verifier, &request, &options, &mut SeenProofs::new(16));
        let hosted = request_job(verifier, &request, &options)
            .and_then(|job| job.finish(verifier, verdicts, &options, &mut SeenProofs::new(16)));
        (here, hosted)
    }

    fn verifier(&self, allow_bound_tokens: bool) -> Verifier {
        let options = VerifyOptions {
            issuer: Some(ISSUER.into()),
            audience: Some(AUDIENCE.into()),
            allow_bound_tokens,
            ..VerifyOptions::default()
        };
        Verifier::new(self.issuer.keys().verification_keys(), options).unwrap()
    }
}

#[test]
fn a_bound_token_is_refused_where_its_proof_cannot_be_seen_unless_allowed() {
    // Second review, finding 3: a bound token copied out of a page is no bearer token.
    let f = fixture();
    let bound = f.token(Some(&f.jkt));
    let verifier = f.verifier(false);
    let err = verifier.verify(&bound, T0).unwrap_err();
    assert_eq!(err.code(), "ERR_DPOP_PROOF_INVALID");
    assert!(err.to_string().contains("verifyRequest"), "{err}");
    assert!(err.to_string().contains("allowBoundTokens"), "{err}");
    // The host path (verifyAsync) releases the same refusal once its signature holds.
    let job = verifier.signature_job(&bound, T0).unwrap();
    assert!(verifier.signature_holds(&job));
    assert_eq!(job.outcome.unwrap_err(), err);
    // A forged bound token still fails on its signature first.
    let at = bound.len() - 10;
    let flipped = if &bound[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &bound[..at], &bound[at + 1..]);
    assert_ne!(verifier.verify(&forged, T0).unwrap_err().code(), err.code());
    // Unbound tokens are unaffected; the opt-in takes bound ones.
    verifier.verify(&f.token(None), T0).unwrap();
    f.verifier(true).verify(&bound, T0).unwrap();
    let job = f.verifier(true).signature_job(&bound, T0).unwrap();
    assert!(job.outcome.is_ok());
}

#[test]
fn a_bound_token_with_its_proof_passes_here_and_through_a_host() {
    let f = fixture();
    let token = f.token(Some(&f.jkt));
    let proof = f.proof(&token, "p1");
    let (here, hosted) = f.check(
        &format!("DPoP {token}"),
        Some(&proof),
        (Some(true), Some(true)),
    );
    let (here, hosted) = (here.unwrap(), hosted.unwrap());
    assert_eq!(here.proof.as_ref().unwrap().jkt, f.jkt);
    assert_eq!(here.claims.json, hosted.claims.json);
    assert_eq!(here.proof, hosted.proof);
}

#[test]
fn a_host_verdict_against_the_token_or_the_proof_fails_in_that_order() {
    let f = fixture();
    let token = f.token(Some(&f.jkt));
    let proof = f.proof(&token, "p1");
    let auth = format!("DPoP {token}");
    let (_, token_failed) = f.check(&auth, Some(&proof), (Some(false), Some(false)));
    assert_eq!(
        token_failed.unwrap_err(),
        Error::SignatureVerificationFailed
    );
    let (_, proof_failed) = f.check(&auth, Some(&proof), (Some(true), Some(false)));
    let err = proof_failed.unwrap_err();
    assert_eq!(err.code(), "ERR_DPOP_PROOF_INVALID");
    assert!(err.to_string().contains("signature"), "{err}");
}

#[test]
fn a_job_exposes_the_proof_only_for_a_bound_token_sent_with_dpop() {
    let f = fixture();
    let verifier = f.issuer.access_verifier();
    let bound = f.token(Some(&f.jkt));
    let proof = f.proof(&bound, "p1");
    let job = |authorization: &str| {
        let request = ResourceRequest {
            authorization: Some(authorization),
            dpop: Some(&proof),
            method: "GET",
            url: URL,
            now: T0,
        };
        request_job(verifier, &request, &ProofOptions::default()).unwrap()
    };
    let with_proof = job(&format!("DPoP {bound}"));
    assert_eq!(
        with_proof.proof().unwrap().key.algorithm(),
        Algorithm::EdDSA
    );
    assert!(job(&format!("Bearer {bound}")).proof().is_none());
    assert!(job(&format!("Bearer {}", f.token(None))).proof().is_none());
}

#[test]
fn downgrades_missing_proofs_and_unbound_dpop_fail_the_same_here_and_through_a_host() {
    let f = fixture();
    let bound = f.token(Some(&f.jkt));
    let unbound = f.token(None);
    let proof = f.proof(&bound, "p1");
    for (authorization, dpop, why) in [
        (format!("Bearer {bound}"), None, "DPoP scheme"),
        (format!("DPoP {bound}"), None, "header is missing"),
        (format!("DPoP {unbound}"), Some(proof.as_str()), "not bound"),
        (
            format!("DPoP {bound}"),
            Some(&*format!("{proof}, {proof}")),
            "more than one",
        ),
    ] {
        let (here, hosted) = f.check(&authorization, dpop, (Some(true), Some(true)));
        let (here, hosted) = (here.unwrap_err(), hosted.unwrap_err());
        assert_eq!(here, hosted);
        assert_eq!(here.code(), "ERR_DPOP_PROOF_INVALID");
        assert!(here.to_string().contains(why), "{here}");
    }
    let (here, _) = f.check(&format!("Bearer {unbound}"), None, (None, None));
    assert!(here.unwrap().proof.is_none());
}

#[test]
fn a_proof_seen_before_is_a_replay_on_either_path() {
    let f = fixture();
    let token = f.token(Some(&f.jkt));
    let proof = f.proof(&token, "p1");
    let request = ResourceRequest {
        authorization: Some(&format!("DPoP {token}")),
        dpop: Some(&proof),
        method: "GET",
        url: URL,
        now: T0,
    };
    let verifier = f.issuer.access_verifier();
    let options = ProofOptions::default();
    let mut seen = SeenProofs::new(16);
    verify_request(verifier, &request, &options, &mut seen).unwrap();
    let replay = request_job(verifier, &request, &options)
        .and_then(|job| job.finish(verifier, (Some(true), Some(true)), &options, &mut seen));
    assert_eq!(replay.unwrap_err(), Error::DpopReplayed);
}
