//! Keys, one type per algorithm. The token's `alg` header never chooses how a signature is
//! checked: it must match the algorithm of the key its `kid` selects, so an algorithm-confusion
//! attack (HS256 over a public key, `alg: none`) ends in `ERR_JOSE_ALG_NOT_ALLOWED`.

mod jwks;
mod rsa;
#[cfg(feature = "issuer")]
mod signing;
mod verifying;

pub use jwks::{parse_jwk, parse_jwks_entries, JwksEntry, KeyType, ParsedJwks};
pub use rsa::{RsaHash, RsaPadding, RsaPublicKey, MAX_MODULUS_BITS, MIN_MODULUS_BITS};
#[cfg(feature = "issuer")]
pub use signing::{KeySet, PrivateKey, SigningKey};
pub use verifying::{HmacSecret, PublicKey, RsaVerifyingKey, VerificationKey, VerificationKeys};

/// The checks every key set passes: at least one key, and no `kid` twice (keys without a `kid`
/// are not compared). A verifier's set may hold one RSA key under one `kid` for several
/// algorithms (a JWK without `alg`, see `jwks.rs`), so there the pair `(kid, alg)` must be unique.
fn check_key_set<'a>(
    kids: impl Iterator<Item = (Option<&'a str>, Option<Algorithm>)>,
) -> crate::Result<()> {
    // A key set is a handful of keys: a list, and no hash table in the npm package's wasm.
    let mut seen = Vec::new();
    let mut count = 0;
    for (kid, algorithm) in kids {
        count += 1;
        if let Some(kid) = kid {
            if seen.contains(&(kid, algorithm)) {
                return Err(crate::Error::JwksInvalid(format!(
                    "kid \"{kid}\" is repeated"
                )));
            }
            seen.push((kid, algorithm));
        }
    }
    if count == 0 {
        return Err(crate::Error::JwksInvalid(
            "the key set has no usable key".into(),
        ));
    }
    Ok(())
}

/// The signature algorithms edge-jwt verifies. The issuer signs with the first three only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037). The default: small keys, fast, deterministic.
    EdDSA,
    /// ECDSA P-256 with SHA-256, signatures in IEEE P1363 form (RFC 7518 §3.4).
    ES256,
    /// HMAC-SHA-256. Only for deployments whose verifiers may hold the secret (never browsers).
    HS256,
    /// ECDSA P-384 with SHA-384 (RFC 7518 §3.4).
    ES384,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3): what most identity providers sign with.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt (RFC 7518 §3.5).
    PS256,
    /// RSASSA-PSS with SHA-384, MGF1 with SHA-384 and a 48-byte salt.
    PS384,
    /// RSASSA-PSS with SHA-512, MGF1 with SHA-512 and a 64-byte salt.
    PS512,
}

impl Algorithm {
    pub const ALL: [Algorithm; 10] = [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::HS256,
        Algorithm::ES384,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];

    /// The algorithms the issuer signs with.
    pub const SIGNING: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::HS256];

    /// Parses a JOSE `alg` name. `Ed25519` (RFC 9864) is accepted as a name of EdDSA.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "Ed25519" => Some(Algorithm::EdDSA),
            _ => Algorithm::ALL.into_iter().find(|alg| alg.name() == name),
        }
    }

    /// The name written in the `alg` header of tokens signed with this algorithm.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::HS256 => "HS256",
            Algorithm::ES384 => "ES384",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
        }
    }

    /// The padding and hash of an RSA algorithm; `None` for the others.
    pub fn rsa(self) -> Option<(RsaPadding, RsaHash)> {
        use RsaHash::{Sha256, Sha384, Sha512};
        use RsaPadding::{Pkcs1v15, Pss};
        match self {
            Algorithm::RS256 => Some((Pkcs1v15, Sha256)),
            Algorithm::RS384 => Some((Pkcs1v15, Sha384)),
            Algorithm::RS512 => Some((Pkcs1v15, Sha512)),
            Algorithm::PS256 => Some((Pss, Sha256)),
            Algorithm::PS384 => Some((Pss, Sha384)),
            Algorithm::PS512 => Some((Pss, Sha512)),
            _ => None,
        }
    }
}
