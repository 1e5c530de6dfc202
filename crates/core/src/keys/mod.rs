//! Keys, one type per algorithm. The token's `alg` header never chooses how a signature is
//! checked: it must match the algorithm of the key its `kid` selects, so an algorithm-confusion
//! attack (HS256 over a public key, `alg: none`) ends in `ERR_JOSE_ALG_NOT_ALLOWED`.

mod jwks;
mod signing;
mod verifying;

pub use jwks::{parse_jwks_entries, JwksEntry, ParsedJwks};
pub use signing::{KeySet, PrivateKey, SigningKey};
pub use verifying::{HmacSecret, PublicKey, VerificationKey, VerificationKeys};

/// The checks every key set passes: at least one key, and no `kid` twice (keys without a `kid`
/// are not compared).
fn check_key_set<'a>(kids: impl Iterator<Item = Option<&'a str>>) -> crate::Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut count = 0;
    for kid in kids {
        count += 1;
        if let Some(kid) = kid {
            if !seen.insert(kid) {
                return Err(crate::Error::JwksInvalid(format!(
                    "kid \"{kid}\" is repeated"
                )));
            }
        }
    }
    if count == 0 {
        return Err(crate::Error::JwksInvalid(
            "the key set has no usable key".into(),
        ));
    }
    Ok(())
}

/// The signature algorithms edge-jwt signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037). The default: small keys, fast, deterministic.
    EdDSA,
    /// ECDSA P-256 with SHA-256, signatures in IEEE P1363 form (RFC 7518 §3.4).
    ES256,
    /// HMAC-SHA-256. Only for deployments whose verifiers may hold the secret (never browsers).
    HS256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256];

    /// Parses a JOSE `alg` name. `Ed25519` (RFC 9864) is accepted as a name of EdDSA.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "EdDSA" | "Ed25519" => Some(Algorithm::EdDSA),
            "ES256" => Some(Algorithm::ES256),
            "HS256" => Some(Algorithm::HS256),
            _ => None,
        }
    }

    /// The name written in the `alg` header of tokens signed with this algorithm.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::HS256 => "HS256",
        }
    }
}
