//! DPoP proofs (RFC 9449 §4.3): one test per rule, each failing for its own reason, and the
//! RFC's own example proof and thumbprint.

mod support;

use edge_jwt_core::dpop::{
    access_token_hash, jwk_thumbprint, verify_proof, DpopProof, ProofOptions, ProofRequest,
    SeenProofs,
};
use edge_jwt_core::jose::b64;
use edge_jwt_core::{Algorithm, Error, KeySet, SigningKey};
use serde_json::{json, Value};
use support::sign_raw;

const NOW: u64 = 1_767_225_600;
const URL: &str = "https://issuer.example/token";

struct Client {
    keys: KeySet,
    jwk: Value,
}

fn client(alg: Algorithm) -> Client {
    let keys = KeySet::new(vec![SigningKey::generate(alg).unwrap()]).unwrap();
    let jwk = keys.public_jwks()["keys"][0].clone();
    Client { keys, jwk }
}

impl Client {
    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": self.keys.signer().algorithm().name(), "jwk": self.jwk})
    }
    fn claims(&self) -> Value {
        json!({"jti": "proof-1", "htm": "POST", "htu": URL, "iat": NOW})
    }
    fn sign(&self, header: &Value, claims: &Value) -> String {
        sign_raw(self.keys.signer(), header, claims.to_string().as_bytes())
    }
    fn proof(&self) -> String {
        self.sign(&self.header(), &self.claims())
    }
    fn thumbprint(&self) -> String {
        jwk_thumbprint(self.jwk.as_object().unwrap()).unwrap()
    }
}

fn request() -> ProofRequest<'static> {
    ProofRequest {
        method: "POST",
        url: URL,
        access_token: None,
        nonce: None,
        now: NOW,
    }
}

fn check(proof: &str, request: &ProofRequest) -> Result<DpopProof, Error> {
    verify_proof(proof, request, &ProofOptions::default())
}

/// Fails with ERR_DPOP_PROOF_INVALID, and a message that names the rule.
fn refused(result: Result<DpopProof, Error>, because: &str) {
    let err = result.expect_err("the proof must be refused");
    assert_eq!(err.code(), "ERR_DPOP_PROOF_INVALID", "{err}");
    assert!(
        err.to_string().contains(because),
        "{err} should say {because:?}"
    );
}

#[test]
fn a_good_proof_passes_and_names_its_key() {
    let c = client(Algorithm::EdDSA);
    let proof = check(&c.proof(), &request()).unwrap();
    assert_eq!(proof.jkt, c.thumbprint());
    assert_eq!((proof.jti.as_str(), proof.iat), ("proof-1", NOW));
    proof.check_binding(&c.thumbprint()).unwrap();
}

#[test]
fn typ_must_be_dpop_jwt() {
    let c = client(Algorithm::EdDSA);
    let mut header = c.header();
    header["typ"] = json!("JWT");
    refused(check(&c.sign(&header, &c.claims()), &request()), "typ");
}

#[test]
fn alg_none_is_refused() {
    let c = client(Algorithm::EdDSA);
    let mut header = c.header();
    header["alg"] = json!("none");
    let unsigned = c.sign(&header, &c.claims());
    let (head, _) = unsigned.rsplit_once('.').unwrap();
    refused(check(&format!("{head}."), &request()), "alg \"none\"");
}

#[test]
fn an_hmac_alg_is_refused() {
    let c = client(Algorithm::HS256);
    let mut header = c.header();
    header["jwk"] = json!({"kty": "oct", "k": "AAAA"});
    refused(
        check(&c.sign(&header, &c.claims()), &request()),
        "alg \"HS256\"",
    );
}

#[test]
fn private_key_material_in_jwk_is_refused() {
    let c = client(Algorithm::EdDSA);
    let mut header = c.header();
    header["jwk"]["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    refused(
        check(&c.sign(&header, &c.claims()), &request()),
        "private key material",
    );
}

#[test]
fn a_bad_signature_is_refused() {
    let c = client(Algorithm::EdDSA);
    let other = client(Algorithm::EdDSA);
    // Signed by another key than the one in its header.
    let forged = other.sign(&c.header(), &c.claims());
    refused(check(&forged, &request()), "signature");
}

#[test]
fn htm_must_be_the_method() {
    let c = client(Algorithm::EdDSA);
    let get = ProofRequest {
        method: "GET",
        ..request()
    };
    refused(check(&c.proof(), &get), "htm");
}

#[test]
fn htu_must_be_the_url() {
    let c = client(Algorithm::EdDSA);
    let elsewhere = ProofRequest {
        url: "https://issuer.example/revoke",
        ..request()
    };
    refused(check(&c.proof(), &elsewhere), "htu");
    // The request's query and fragment are not compared; case and default ports normalize.
    for same in [
        "https://issuer.example/token?x=1",
        "https://issuer.example/token#f",
        "HTTPS://Issuer.Example:443/token",
    ] {
        let request = ProofRequest {
            url: same,
            ..request()
        };
        check(&c.proof(), &request).unwrap_or_else(|e| panic!("{same}: {e}"));
    }
    let other_port = ProofRequest {
        url: "https://issuer.example:8443/token",
        ..request()
    };
    refused(check(&c.proof(), &other_port), "htu");
}

#[test]
fn htu_with_a_query_is_refused() {
    let c = client(Algorithm::EdDSA);
    let mut claims = c.claims();
    claims["htu"] = json!(format!("{URL}?a=1"));
    refused(check(&c.sign(&c.header(), &claims), &request()), "query");
}

#[test]
fn stale_and_future_iat_are_refused() {
    let c = client(Algorithm::EdDSA);
    let mut claims = c.claims();
    claims["iat"] = json!(NOW - 61);
    refused(check(&c.sign(&c.header(), &claims), &request()), "too old");
    claims["iat"] = json!(NOW + 6);
    refused(check(&c.sign(&c.header(), &claims), &request()), "future");
    // Within the window and the leeway, accepted.
    for iat in [NOW - 60, NOW + 5] {
        claims["iat"] = json!(iat);
        check(&c.sign(&c.header(), &claims), &request()).unwrap();
    }
}

#[test]
fn a_replayed_jti_is_refused() {
    let c = client(Algorithm::EdDSA);
    let options = ProofOptions::default();
    let mut seen = SeenProofs::new(1000);
    let proof = check(&c.proof(), &request()).unwrap();
    seen.remember(&proof, NOW, &options).unwrap();
    let err = seen.remember(&proof, NOW + 1, &options).unwrap_err();
    assert_eq!(err.code(), "ERR_DPOP_REPLAYED");
    // Once the proof is too old to pass anyway, its jti is forgotten.
    let mut later = c.claims();
    later["jti"] = json!("proof-2");
    let second = check(&c.sign(&c.header(), &later), &request()).unwrap();
    seen.remember(&second, NOW + 200, &options).unwrap();
    seen.remember(&proof, NOW + 200, &options).unwrap();
}

#[test]
fn the_replay_set_is_bounded_and_forgets_the_oldest_first() {
    let c = client(Algorithm::EdDSA);
    let options = ProofOptions::default();
    let mut seen = SeenProofs::new(3);
    let proofs: Vec<DpopProof> = (0..5)
        .map(|i| {
            let mut claims = c.claims();
            claims["jti"] = json!(format!("proof-{i}"));
            check(&c.sign(&c.header(), &claims), &request()).unwrap()
        })
        .collect();
    for proof in &proofs {
        seen.remember(proof, NOW, &options).unwrap();
    }
    assert_eq!(seen.len(), 3);
    // The two oldest were dropped to make room; the three newest are still replays.
    seen.remember(&proofs[0], NOW, &options).unwrap();
    for proof in &proofs[3..] {
        assert_eq!(
            seen.remember(proof, NOW, &options).unwrap_err().code(),
            "ERR_DPOP_REPLAYED"
        );
    }
}

#[test]
fn ath_must_be_the_access_tokens_hash() {
    let c = client(Algorithm::EdDSA);
    let with_token = ProofRequest {
        access_token: Some("the-access-token"),
        ..request()
    };
    refused(check(&c.proof(), &with_token), "ath is missing");
    let mut claims = c.claims();
    claims["ath"] = json!(access_token_hash("another-token"));
    refused(
        check(&c.sign(&c.header(), &claims), &with_token),
        "ath is not",
    );
    claims["ath"] = json!(access_token_hash("the-access-token"));
    check(&c.sign(&c.header(), &claims), &with_token).unwrap();
}

#[test]
fn a_proof_from_another_key_fails_the_binding() {
    let bound = client(Algorithm::EdDSA);
    let thief = client(Algorithm::EdDSA);
    let proof = check(&thief.proof(), &request()).unwrap();
    assert_eq!(
        proof.check_binding(&bound.thumbprint()).unwrap_err().code(),
        "ERR_DPOP_BINDING_MISMATCH"
    );
}

#[test]
fn a_nonce_the_server_gave_is_required() {
    let c = client(Algorithm::EdDSA);
    let with_nonce = ProofRequest {
        nonce: Some("n-1"),
        ..request()
    };
    let err = check(&c.proof(), &with_nonce).unwrap_err();
    assert_eq!(err.code(), "ERR_DPOP_NONCE_REQUIRED");
    let mut claims = c.claims();
    claims["nonce"] = json!("n-1");
    check(&c.sign(&c.header(), &claims), &with_nonce).unwrap();
}

/// RFC 9449 §4.1, Figure 4: the example proof (ES256, its key in the header), at its `iat`;
/// and §6.1's thumbprint of that key.
#[test]
fn the_rfc_9449_example_proof_verifies() {
    let proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwi\
        eCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5\
        IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNy\
        diI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCI\
        sImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTY\
        yMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiO\
        SsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    let request = ProofRequest {
        method: "POST",
        url: "https://server.example.com/token",
        access_token: None,
        nonce: None,
        now: 1_562_262_616,
    };
    let proof = check(proof, &request).unwrap();
    assert_eq!(proof.jti, "-BwC3ESc6acc2lTc");
    assert_eq!(proof.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

/// RFC 7638 §3.1: the thumbprint of the example RSA key.
#[test]
fn the_rfc_7638_example_thumbprint() {
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    assert_eq!(
        jwk_thumbprint(jwk.as_object().unwrap()).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

/// The client's side (`dpop_client`) writes proofs the server's side accepts: with `ath` and a
/// nonce for a resource, without a query in `htu`, and never with private key members.
#[test]
fn proofs_written_by_the_client_side_pass_the_server_side() {
    use edge_jwt_core::dpop_client::{proof_signing_input, ProofClaims};
    let c = client(Algorithm::EdDSA);
    let mut jwk = c.jwk.as_object().unwrap().clone();
    jwk.insert("d".into(), json!("private, never sent"));
    jwk.insert("kid".into(), json!("dropped"));
    let claims = ProofClaims {
        jwk: &jwk,
        algorithm: Algorithm::EdDSA,
        method: "GET",
        url: "https://api.example/orders?page=2#top",
        iat: NOW,
        jti: "client-1",
        access_token: Some("the.access.token"),
        nonce: Some("n-1"),
    };
    let input = proof_signing_input(&claims).unwrap();
    let header = b64::decode(input.split('.').next().unwrap()).unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["jwk"].as_object().unwrap().len(), 3, "{header}");
    let proof = support::sign_input(c.keys.signer(), &input);
    let request = ProofRequest {
        method: "GET",
        url: "https://api.example/orders?page=3",
        access_token: Some("the.access.token"),
        nonce: Some("n-1"),
        now: NOW,
    };
    let checked = check(&proof, &request).unwrap();
    assert_eq!(
        (checked.jkt, checked.jti.as_str()),
        (c.thumbprint(), "client-1")
    );
    // A symmetric algorithm, or a key that is not EC or OKP, is refused before any signing.
    for (algorithm, kty) in [(Algorithm::HS256, "OKP"), (Algorithm::ES256, "RSA")] {
        let mut jwk = jwk.clone();
        jwk.insert("kty".into(), json!(kty));
        let err = proof_signing_input(&ProofClaims {
            algorithm,
            jwk: &jwk,
            ..claims.clone()
        });
        assert_eq!(err.unwrap_err().code(), "ERR_INVALID_OPTION");
    }
}
