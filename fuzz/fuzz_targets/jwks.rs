//! Any text as a JWKS, for a verifier (with and without HS256, with and without RSA algorithms
//! named) and for the issuer: never a panic; a verifier that refuses shared secrets never ends
//! up holding one; an RSA key serves only the algorithms it may; and the public JWKS of any key
//! set the issuer accepts is accepted by a verifier.
#![no_main]

use edge_jwt_core::{Algorithm, KeySet, VerificationKeys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(keys) = VerificationKeys::from_jwks(text, None) {
        assert!(!keys.algorithms().contains(&Algorithm::HS256));
    }
    let _ = VerificationKeys::from_jwks(text, Some(&[Algorithm::HS256]));
    if let Ok(keys) = VerificationKeys::from_jwks(text, Some(&[Algorithm::RS256])) {
        // A key without `alg` serves RS256 here; no PS algorithm can come from the options.
        let keyed_pss = text.contains("PS256") || text.contains("PS384") || text.contains("PS512");
        assert!(keyed_pss || !keys.algorithms().iter().any(|a| a.name().starts_with("PS")));
    }
    if let Ok(set) = KeySet::from_jwks(text) {
        let public = set.public_jwks().to_string();
        let has_public = set.keys().iter().any(|k| k.algorithm() != Algorithm::HS256);
        assert_eq!(
            VerificationKeys::from_jwks(&public, None).is_ok(),
            has_public,
            "{public}"
        );
    }
});
