//! Fixed keys for the fuzz targets: the same keys in every run, so a crash reproduces.

use edge_jwt_core::jose::b64;
use edge_jwt_core::{Algorithm, VerificationKeys, Verifier, VerifyOptions};

/// A fixed moment: every token is judged at this time.
pub const NOW: u64 = 1_767_225_600;

const ED25519_SEED: [u8; 32] = [7; 32];
const HMAC_SECRET: [u8; 32] = [9; 32];

pub fn ed25519_key_pair() -> ed25519_compact::KeyPair {
    ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(ED25519_SEED))
}

pub fn hmac_secret() -> &'static [u8] {
    &HMAC_SECRET
}

/// The public JWKS of the Ed25519 key, with kid `ed`.
pub fn ed25519_jwks() -> String {
    let x = b64::encode(ed25519_key_pair().pk.as_slice());
    format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"ed","x":"{x}"}}]}}"#)
}

/// The JWKS of the HMAC secret, with kid `hs`.
pub fn hmac_jwks() -> String {
    let k = b64::encode(&HMAC_SECRET);
    format!(r#"{{"keys":[{{"kty":"oct","alg":"HS256","kid":"hs","k":"{k}"}}]}}"#)
}

/// Verifiers over the fixed keys, strict in everything the options can ask.
pub struct Verifiers {
    pub ed25519: Verifier,
    pub hmac: Verifier,
}

impl Verifiers {
    pub fn new() -> Self {
        let options = VerifyOptions {
            issuer: Some("https://issuer.example".into()),
            audience: Some("https://api.example".into()),
            max_age: Some(3600),
            ..VerifyOptions::default()
        };
        let build = |jwks: String, hs: bool| {
            let algorithms: &[Algorithm] = &[Algorithm::HS256];
            let keys = VerificationKeys::from_jwks(&jwks, hs.then_some(algorithms))
                .expect("fixed JWKS parses");
            Verifier::new(keys, options.clone()).expect("fixed options are valid")
        };
        Verifiers {
            ed25519: build(ed25519_jwks(), false),
            hmac: build(hmac_jwks(), true),
        }
    }
}

impl Default for Verifiers {
    fn default() -> Self {
        Self::new()
    }
}
