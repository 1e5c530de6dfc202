//! DPoP proofs, two ways.
//! - Raw: the first line of the input is a proof, the second the request's URL: never a panic.
//! - Signed: the first line is the proof's claims (JSON text), the second the request's URL;
//!   this target signs the proof with the fixed Ed25519 key, whose JWK is in its header. The
//!   signature is right by construction, so a refusal is never about it, and an accepted proof
//!   meets every rule: its method, a URL that names the same resource, a fresh `iat`.
#![no_main]

use edge_jwt_core::dpop::{jwk_thumbprint, verify_proof, ProofOptions, ProofRequest};
use edge_jwt_core::jose::b64;
use edge_jwt_fuzz::{ed25519_key_pair, NOW};
use libfuzzer_sys::fuzz_target;

fn request(url: &str) -> ProofRequest<'_> {
    ProofRequest {
        method: "POST",
        url,
        access_token: None,
        nonce: None,
        now: NOW,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, url) = text
        .split_once('\n')
        .unwrap_or((text, "https://issuer.example/token"));
    let options = ProofOptions::default();
    let _ = verify_proof(first, &request(url), &options);

    let key = ed25519_key_pair();
    let jwk =
        serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(key.pk.as_slice())});
    let header = serde_json::json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": jwk});
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(first.as_bytes())
    );
    let signature = key.sk.sign(input.as_bytes(), None);
    let proof = format!("{input}.{}", b64::encode(signature.as_slice()));
    match verify_proof(&proof, &request(url), &options) {
        Ok(accepted) => {
            assert_eq!(
                Ok(accepted.jkt),
                jwk_thumbprint(jwk.as_object().expect("an object"))
            );
            assert!(accepted.iat + options.max_age >= NOW && accepted.iat <= NOW + options.leeway);
            let claims: serde_json::Value = serde_json::from_str(first).expect("accepted JSON");
            assert_eq!(claims["htm"], "POST");
            let htu = claims["htu"].as_str().expect("a string htu");
            assert!(
                !htu.contains(['?', '#']),
                "htu with a query or fragment accepted: {htu}"
            );
        }
        Err(err) => assert!(
            !err.to_string().contains("signature"),
            "a proof signed by its own key was refused for its signature: {err}"
        ),
    }
});
