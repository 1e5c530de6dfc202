//! Any text as a JWKS, for a verifier (with and without HS256) and for the issuer: never a
//! panic; a verifier that refuses shared secrets never ends up holding one; and the public
//! JWKS of any key set the issuer accepts is accepted by a verifier.
#![no_main]

use edge_jwt_core::{Algorithm, KeySet, VerificationKeys};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(keys) = VerificationKeys::from_jwks(text, false) {
        assert!(!keys.algorithms().contains(&Algorithm::HS256));
    }
    let _ = VerificationKeys::from_jwks(text, true);
    if let Ok(set) = KeySet::from_jwks(text) {
        let public = set.public_jwks().to_string();
        let has_public = set.keys().iter().any(|k| k.algorithm() != Algorithm::HS256);
        assert_eq!(
            VerificationKeys::from_jwks(&public, false).is_ok(),
            has_public,
            "{public}"
        );
    }
});
