//! Public (verification) keys and the set a verifier selects from.

use p256::ecdsa::{self, signature::DigestVerifier as _};

use super::{Algorithm, RsaPublicKey};
use crate::error::{Error, Result};
use crate::jose::Header;

/// A key that verifies signatures of exactly one algorithm. These are the primitives that
/// jwt-simple's key types wrap; holding them directly keeps the verifier (and the npm
/// package's wasm) free of everything the issuer alone needs.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// ed25519-dalek, not jwt-simple's ed25519-compact: on wasm32 its 32-bit field arithmetic
    /// needs no emulated 128-bit multiply, which makes verification about 2x faster there.
    Ed25519(ed25519_dalek::VerifyingKey),
    Es256(ecdsa::VerifyingKey),
    Es384(Es384Key),
    /// An RSA key bound to one of the six RSA algorithms.
    Rsa(RsaVerifyingKey),
    /// A shared secret: it verifies and could sign, so it belongs only on trusted servers.
    Hs256(HmacSecret),
}

/// A P-384 public key: with the `es384` feature the core checks its signatures.
#[cfg(feature = "es384")]
pub type Es384Key = p384::ecdsa::VerifyingKey;

/// A P-384 public key that only a host's crypto API (WebCrypto) checks signatures with: the
/// core without the `es384` feature keeps no P-384 arithmetic, so [`PublicKey::verifies`] is
/// false for it and [`crate::Verifier::verify`] says to use the host's path.
#[cfg(not(feature = "es384"))]
#[derive(Debug, Clone)]
pub struct Es384Key;

/// An RSA public key and the one algorithm (`RS*` or `PS*`) it verifies here.
#[derive(Debug, Clone)]
pub struct RsaVerifyingKey {
    key: RsaPublicKey,
    algorithm: Algorithm,
}

impl RsaVerifyingKey {
    /// `None` unless `algorithm` is an RSA algorithm.
    pub fn new(key: RsaPublicKey, algorithm: Algorithm) -> Option<Self> {
        algorithm.rsa()?;
        Some(RsaVerifyingKey { key, algorithm })
    }

    pub fn key(&self) -> &RsaPublicKey {
        &self.key
    }
}

/// An HMAC-SHA-256 secret of at least 32 bytes (RFC 7518 §3.2). Never printed. The SHA-256
/// states after the key's inner and outer pad blocks are kept with it (RFC 2104: HMAC(K, m) =
/// H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))), so that each MAC hashes two blocks fewer.
#[derive(Clone)]
pub struct HmacSecret {
    bytes: Vec<u8>,
    inner: hmac_sha256::Hash,
    outer: hmac_sha256::Hash,
}

impl HmacSecret {
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < 32 {
            return Err(Error::JwksInvalid(
                "an HS256 key must be at least 32 bytes".into(),
            ));
        }
        Ok(Self::keyed(bytes))
    }

    /// A secret whose length the caller already guarantees.
    #[cfg(feature = "issuer")]
    pub(super) fn from_trusted(bytes: Vec<u8>) -> Self {
        Self::keyed(bytes)
    }

    fn keyed(bytes: Vec<u8>) -> Self {
        let hashed;
        let key = if bytes.len() > 64 {
            hashed = hmac_sha256::Hash::hash(&bytes);
            &hashed[..]
        } else {
            &bytes[..]
        };
        let (mut inner_pad, mut outer_pad) = ([0x36u8; 64], [0x5cu8; 64]);
        for (i, k) in key.iter().enumerate() {
            inner_pad[i] ^= k;
            outer_pad[i] ^= k;
        }
        let (mut inner, mut outer) = (hmac_sha256::Hash::new(), hmac_sha256::Hash::new());
        // As slices: one instantiation of `update` in the package's wasm.
        inner.update(&inner_pad[..]);
        outer.update(&outer_pad[..]);
        HmacSecret {
            bytes,
            inner,
            outer,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// HMAC-SHA-256 of `input` under this secret.
    pub fn mac(&self, input: &[u8]) -> [u8; 32] {
        let (mut inner, mut outer) = (self.inner, self.outer);
        inner.update(input);
        outer.update(&inner.finalize()[..]);
        outer.finalize()
    }
}

impl std::fmt::Debug for HmacSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSecret(..)")
    }
}

impl PublicKey {
    /// An Ed25519 public key from its 32 bytes (RFC 8032); bytes that are no curve point are
    /// refused here, not at the first signature.
    pub fn ed25519(bytes: &[u8]) -> Result<Self> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::JwksInvalid("an Ed25519 public key is 32 bytes".into()))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| Error::JwksInvalid("not an Ed25519 public key".into()))?;
        // RFC 8032 §5.1.3: an encoding whose y is not below p does not decode.
        if key.to_edwards().compress().to_bytes() != bytes {
            return Err(Error::JwksInvalid(
                "not an Ed25519 public key: its encoding is not canonical (RFC 8032 §5.1.3)".into(),
            ));
        }
        Ok(PublicKey::Ed25519(key))
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::EdDSA,
            PublicKey::Es256(_) => Algorithm::ES256,
            PublicKey::Es384(_) => Algorithm::ES384,
            PublicKey::Rsa(key) => key.algorithm,
            PublicKey::Hs256(_) => Algorithm::HS256,
        }
    }

    /// Whether `signature` has the one length a signature of this key has. Checked before a
    /// signature is handed to a host crypto API too, which may be laxer (WebCrypto accepts an
    /// RSA signature whose leading zero byte was dropped).
    pub fn fits_signature(&self, signature: &[u8]) -> bool {
        let len = match self {
            PublicKey::Ed25519(_) => 64,
            PublicKey::Es256(_) => 64,
            PublicKey::Es384(_) => 96,
            PublicKey::Rsa(key) => key.key.signature_len(),
            PublicKey::Hs256(_) => 32,
        };
        signature.len() == len
    }

    /// Whether the core itself checks this key's signatures (all but a P-384 key in a core
    /// built without the `es384` feature, which only a host checks).
    pub fn verifies_here(&self) -> bool {
        #[cfg(not(feature = "es384"))]
        if let PublicKey::Es384(_) = self {
            return false;
        }
        true
    }

    /// Whether a host's crypto API (WebCrypto) decides `signature` under this key as
    /// [`PublicKey::verifies`] does. Hosts' Ed25519 differ from RFC 8032 §5.1.7's strict check
    /// (and from each other) on small-order keys and `R` values and non-canonical encodings:
    /// such a signature never verifies here, so it never reaches the host. `signature` has
    /// this key's length ([`PublicKey::fits_signature`]).
    pub fn host_decides_alike(&self, signature: &[u8]) -> bool {
        match self {
            PublicKey::Ed25519(key) => ed25519_within_common_rules(key, signature),
            _ => true,
        }
    }

    /// Checks `signature` over `signing_input` with this key's one algorithm.
    pub fn verifies(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        match self {
            // Strict: canonical S, no small-order key or R (RFC 8032 §5.1.7, Wycheproof).
            PublicKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(signing_input, &sig).is_ok()),
            PublicKey::Es256(key) => ecdsa::Signature::try_from(signature).is_ok_and(|sig| {
                key.verify_digest(
                    |digest: &mut hmac_sha256::Hash| {
                        digest.update(signing_input);
                        Ok(())
                    },
                    &sig,
                )
                .is_ok()
            }),
            #[cfg(feature = "es384")]
            PublicKey::Es384(key) => {
                use p384::ecdsa::signature::hazmat::PrehashVerifier as _;
                use sha2::Digest as _;
                let digest = sha2::Sha384::digest(signing_input);
                p384::ecdsa::Signature::try_from(signature)
                    .is_ok_and(|sig| key.verify_prehash(&digest, &sig).is_ok())
            }
            #[cfg(not(feature = "es384"))]
            PublicKey::Es384(_) => false,
            PublicKey::Rsa(rsa) => rsa.algorithm.rsa().is_some_and(|(padding, hash)| {
                rsa.key.verifies(padding, hash, signing_input, signature)
            }),
            PublicKey::Hs256(key) => ct_codecs::verify(&key.mac(signing_input), signature),
        }
    }
}

/// A key with its optional `kid`.
#[derive(Debug, Clone)]
pub struct VerificationKey {
    pub kid: Option<String>,
    pub key: PublicKey,
    /// Its position in the JWKS it was loaded from, if any (a host crypto API imports it from
    /// there).
    pub position: Option<usize>,
}

/// The keys a verifier trusts. Built from a JWKS, or from the issuer's own key set.
#[derive(Debug, Clone)]
pub struct VerificationKeys {
    pub(super) keys: Vec<VerificationKey>,
}

impl VerificationKeys {
    /// A key set; refuses an empty set and a repeated `kid`.
    pub fn new(keys: Vec<VerificationKey>) -> Result<Self> {
        super::check_key_set(
            keys.iter()
                .map(|k| (k.kid.as_deref(), Some(k.key.algorithm()))),
        )?;
        Ok(VerificationKeys { keys })
    }

    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// The algorithms at least one key of the set verifies.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(|alg| self.keys.iter().any(|k| k.key.algorithm() == *alg))
            .collect()
    }

    /// The indexes of the keys that may verify a token with this header: by `kid` when the
    /// token names one, otherwise every key of the header's algorithm. The algorithm must be in
    /// `allowed` and be the selected key's own. Never empty.
    pub fn candidate_indexes(&self, header: &Header, allowed: &[Algorithm]) -> Result<Vec<usize>> {
        let alg = Algorithm::from_name(&header.alg)
            .filter(|alg| allowed.contains(alg))
            .ok_or(Error::AlgNotAllowed)?;
        match &header.kid {
            Some(kid) => {
                // One key per (kid, alg): an RSA JWK without `alg` appears once per algorithm
                // the options allow.
                let mut named = (0..self.keys.len())
                    .filter(|&i| self.keys[i].kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(Error::NoMatchingKey);
                }
                let index = named
                    .find(|&i| self.keys[i].key.algorithm() == alg)
                    .ok_or(Error::AlgNotAllowed)?;
                Ok(vec![index])
            }
            None => {
                let indexes: Vec<usize> = (0..self.keys.len())
                    .filter(|&i| self.keys[i].key.algorithm() == alg)
                    .collect();
                if indexes.is_empty() {
                    return Err(Error::NoMatchingKey);
                }
                Ok(indexes)
            }
        }
    }
}

/// The `y` coordinates (little-endian, the sign bit cleared) of the eight points of small order:
/// 0 (order 4), 1 (the identity), the two of order 8, and -1 (order 2). An `R` whose `y` is one
/// of them is of small order, whatever its sign bit.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether a point encoding's `y` (the sign bit cleared) is below p = 2^255 - 19: the only
/// encodings of `y` not equal to another's modulo p.
fn canonical_y(encoding: &[u8; 32]) -> bool {
    let high = encoding[31] & 0x7f;
    !(high == 0x7f && encoding[1..31].iter().all(|&b| b == 0xff) && encoding[0] >= 0xed)
}

/// Ed25519 inputs on which every host's check agrees with the strict one: a key that is not of
/// small order (its encoding is canonical: [`PublicKey::ed25519`] refuses others), `S < L`, and
/// an `R` canonically encoded and not of small order. Outside them the strict check always
/// fails, and so does this. An `R` that is no point at all passes here and fails everywhere:
/// a host that decompresses `R` finds no point, and one that compares encodings computes a
/// point, whose encoding it cannot be. So `R` is never decompressed here (a square root).
fn ed25519_within_common_rules(key: &ed25519_dalek::VerifyingKey, signature: &[u8]) -> bool {
    let (Some(r), Some(s)) = (
        signature
            .get(..32)
            .and_then(|b| <[u8; 32]>::try_from(b).ok()),
        signature
            .get(32..64)
            .and_then(|b| <[u8; 32]>::try_from(b).ok()),
    ) else {
        return false;
    };
    // The key's encoding is canonical, so its `y` says whether it is of small order: byte
    // comparisons here, where `is_weak` and `Scalar::from_canonical_bytes` do field and scalar
    // arithmetic on every signature.
    if small_order_y(key.as_bytes()) || !below_group_order(&s) {
        return false;
    }
    r_decided_alike(&r)
}

/// Whether every host decides an `R` as the strict check does: canonically encoded and not of
/// small order. The sign bit of an `x` of 0 (y = ±1) is non-canonical too: both are of small
/// order.
fn r_decided_alike(r: &[u8; 32]) -> bool {
    canonical_y(r) && !small_order_y(r)
}

/// Whether a point encoding's `y` (the sign bit cleared) is one of the small-order points'.
fn small_order_y(encoding: &[u8; 32]) -> bool {
    let mut y = *encoding;
    y[31] &= 0x7f;
    SMALL_ORDER_Y.contains(&y)
}

/// The order of Ed25519's group, L = 2^252 + 27742317777372353535851937790883648493,
/// little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Whether `s` (little-endian) is below L: a canonical `S` (RFC 8032 §5.1.7). `S` is public.
fn below_group_order(s: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if s[i] != GROUP_ORDER[i] {
            return s[i] < GROUP_ORDER[i];
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::CompressedEdwardsY;

    /// What the rule was with a decompression: a canonical encoding of a point not of small
    /// order.
    fn decompressed_rule(r: [u8; 32]) -> Option<bool> {
        let point = CompressedEdwardsY(r).decompress()?;
        Some(!point.is_small_order() && point.compress().to_bytes() == r)
    }

    #[test]
    fn the_byte_rules_are_the_arithmetic_ones() {
        use curve25519_dalek::Scalar;
        let mut scalars = vec![[0u8; 32], [0xff; 32], GROUP_ORDER];
        for delta in [1u8, 2, 0x12] {
            let (mut below, mut above) = (GROUP_ORDER, GROUP_ORDER);
            below[0] -= delta;
            above[0] += delta;
            scalars.extend([below, above]);
        }
        for i in 0..32 {
            let (mut up, mut down) = (GROUP_ORDER, GROUP_ORDER);
            up[i] = up[i].wrapping_add(1);
            down[i] = down[i].wrapping_sub(1);
            scalars.extend([up, down]);
            let mut top = [0u8; 32];
            top[i] = 0x80;
            scalars.push(top);
        }
        for s in scalars {
            let canonical = bool::from(Scalar::from_canonical_bytes(s).is_some());
            assert_eq!(below_group_order(&s), canonical, "{s:02x?}");
        }
        // A key of small order is a weak key, by bytes as by arithmetic: the eight torsion
        // points (both signs where x is not 0), and keys that are not.
        let mut keys: Vec<[u8; 32]> = SMALL_ORDER_Y.to_vec();
        keys.extend([0, 2, 3].map(|i| SMALL_ORDER_Y[i]).iter().map(|y| {
            let mut negated = *y;
            negated[31] |= 0x80;
            negated
        }));
        let basepoint = curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
        keys.extend([
            basepoint.compress().to_bytes(),
            (basepoint + basepoint).compress().to_bytes(),
        ]);
        let mut weak = 0;
        for bytes in keys {
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&bytes) else {
                continue;
            };
            weak += usize::from(key.is_weak());
            assert_eq!(small_order_y(&bytes), key.is_weak(), "{bytes:02x?}");
        }
        assert_eq!(weak, 8, "the eight torsion points");
    }

    #[test]
    fn the_small_order_list_is_exactly_the_eight_torsion_points() {
        let order_eight = CompressedEdwardsY(SMALL_ORDER_Y[2]).decompress().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut point = curve25519_dalek::EdwardsPoint::default();
        for _ in 0..8 {
            assert!(point.is_small_order());
            let mut y = point.compress().to_bytes();
            y[31] &= 0x7f;
            assert!(SMALL_ORDER_Y.contains(&y), "{y:02x?}");
            seen.insert(y);
            point += order_eight;
        }
        assert_eq!(seen.len(), SMALL_ORDER_Y.len());
    }

    #[test]
    fn without_decompressing_the_rule_decides_every_point_as_before() {
        let mut candidates: Vec<[u8; 32]> = SMALL_ORDER_Y.to_vec();
        for y in SMALL_ORDER_Y {
            let mut signed = y;
            signed[31] |= 0x80;
            candidates.push(signed);
        }
        // y = p and p + 1 (non-canonical 0 and 1), the largest encodings, and a spread of others.
        let mut p = [0xff; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        let mut p1 = p;
        p1[0] = 0xee;
        candidates.extend([p, p1, [0xff; 32], [0x7f; 32]]);
        let basepoint = curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
        let mut point = basepoint;
        for i in 0..400u32 {
            candidates.push(point.compress().to_bytes());
            let mut noise = [0u8; 32];
            for (j, byte) in noise.iter_mut().enumerate() {
                *byte = (i.wrapping_mul(2_654_435_761).rotate_left(j as u32) >> 3) as u8;
            }
            candidates.push(noise);
            point += basepoint;
        }
        let mut points = 0;
        for r in candidates {
            if let Some(before) = decompressed_rule(r) {
                points += 1;
                assert_eq!(r_decided_alike(&r), before, "{r:02x?}");
            }
        }
        assert!(points > 400);
    }

    #[test]
    fn the_kept_pad_states_give_the_hmac_of_the_whole_key() {
        for length in [32, 33, 63, 64, 65, 100, 200] {
            let key: Vec<u8> = (0..length).map(|i| (i * 37 + 11) as u8).collect();
            let secret = HmacSecret::new(key.clone()).unwrap();
            for input in [&b""[..], b"a", &[7u8; 55], &[9u8; 64], &[1u8; 300]] {
                assert_eq!(
                    secret.mac(input),
                    hmac_sha256::HMAC::mac(input, &key),
                    "{length}"
                );
            }
        }
    }
}
