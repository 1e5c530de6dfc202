//! Verification, two ways.
//! - Raw: the input is a token. Only a token whose every segment is canonical may verify,
//!   and a verified Ed25519 or HS256 signature must be the one the key itself would make
//!   (both are deterministic), so no malleated signature is ever accepted.
//! - Signed: the input is a header and a payload, which this target signs with the fixed
//!   keys. The signature is then right by construction, so the verifier must never answer
//!   `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`, and whatever it accepts meets the claim rules.
#![no_main]

use edge_jwt_core::jose::{b64, CompactJws};
use edge_jwt_core::{Error, Verifier};
use edge_jwt_fuzz::{ed25519_key_pair, hmac_secret, Verifiers, NOW};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn verifiers() -> &'static Verifiers {
    static VERIFIERS: OnceLock<Verifiers> = OnceLock::new();
    VERIFIERS.get_or_init(Verifiers::new)
}

fn ed25519_sign(input: &[u8]) -> Vec<u8> {
    ed25519_key_pair().sk.sign(input, None).to_vec()
}

fn hmac_sign(input: &[u8]) -> Vec<u8> {
    hmac_sha256::HMAC::mac(input, hmac_secret()).to_vec()
}

fn check_accepted(verifier: &Verifier, token: &str) {
    let Ok(claims) = verifier.verify(token, NOW) else {
        return;
    };
    let leeway = verifier.options().leeway as f64;
    let exp = claims.as_map()["exp"]
        .as_f64()
        .expect("accepted exp is a number");
    assert!(exp > NOW as f64 - leeway, "an expired token was accepted");
    assert_eq!(
        claims.as_map()["iss"].as_str(),
        verifier.options().issuer.as_deref()
    );
}

fn raw(token: &str) {
    let v = verifiers();
    for (verifier, sign) in [
        (&v.ed25519, ed25519_sign as fn(&[u8]) -> Vec<u8>),
        (&v.hmac, hmac_sign),
    ] {
        if verifier.verify_jws(token).is_ok() {
            let jws = CompactJws::parse(token, usize::MAX).expect("verified tokens parse");
            assert_eq!(jws.signature, sign(jws.signing_input.as_bytes()));
        }
        check_accepted(verifier, token);
    }
}

fn signed(header: &[u8], payload: &[u8]) {
    let v = verifiers();
    let input = format!("{}.{}", b64::encode(header), b64::encode(payload));
    for (verifier, signature) in [
        (&v.ed25519, ed25519_sign(input.as_bytes())),
        (&v.hmac, hmac_sign(input.as_bytes())),
    ] {
        let token = format!("{input}.{}", b64::encode(&signature));
        if let Err(Error::SignatureVerificationFailed) = verifier.verify(&token, NOW) {
            panic!("a correctly signed token failed its signature check: {token}");
        }
        check_accepted(verifier, &token);
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        // Signed: header and payload split at the first NUL (JSON never holds a raw NUL).
        Some((0, rest)) => {
            let at = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (header, payload) = rest.split_at(at);
            signed(header, payload.get(1..).unwrap_or_default());
        }
        Some((_, rest)) => {
            if let Ok(token) = std::str::from_utf8(rest) {
                raw(token);
            }
        }
        None => {}
    }
});
