//! RSA signature verification (RFC 8017; JWS RS256..RS512 and PS256..PS512, RFC 7518 §3.3, §3.5).
//!
//! Verification is a public-key operation, `s^e mod n`, followed by a padding check, so it needs
//! no secret-handling code: the exponentiation is the `edge-jwt-modpow` crate, and the padding checks are written
//! here from RFC 8017.
//! PKCS #1 v1.5 is checked by building the one valid encoding and comparing it whole, never by
//! parsing the decrypted block, which is where signature forgeries against RSA verifiers came
//! from (Bleichenbacher 2006 and its descendants).

use std::sync::Arc;

use sha2::Digest as _;

use edge_jwt_modpow::Modulus;

/// Smallest modulus accepted, in bits (RFC 7518 §3.3: "2048 bits or larger MUST be used").
pub const MIN_MODULUS_BITS: u32 = 2048;
/// Largest modulus accepted, in bits: larger keys cost more per token than any provider uses.
pub const MAX_MODULUS_BITS: u32 = 4096;

/// The hash a JWS RSA algorithm uses: SHA-256, SHA-384 or SHA-512.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaHash {
    Sha256,
    Sha384,
    Sha512,
}

impl RsaHash {
    fn len(self) -> usize {
        match self {
            RsaHash::Sha256 => 32,
            RsaHash::Sha384 => 48,
            RsaHash::Sha512 => 64,
        }
    }

    /// The hash of the concatenation of `parts`.
    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        match self {
            RsaHash::Sha256 => {
                let mut hash = hmac_sha256::Hash::new();
                parts.iter().for_each(|p| hash.update(p));
                hash.finalize().to_vec()
            }
            RsaHash::Sha384 => {
                let mut hash = sha2::Sha384::new();
                parts.iter().for_each(|p| hash.update(p));
                hash.finalize().to_vec()
            }
            RsaHash::Sha512 => {
                let mut hash = sha2::Sha512::new();
                parts.iter().for_each(|p| hash.update(p));
                hash.finalize().to_vec()
            }
        }
    }

    /// The DER `DigestInfo` prefix of EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            RsaHash::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            RsaHash::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            RsaHash::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// The signature scheme: PKCS #1 v1.5 (`RS*`) or PSS with MGF1 of the same hash and a salt as
/// long as the hash (`PS*`, RFC 7518 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaPadding {
    Pkcs1v15,
    Pss,
}

/// An RSA public key: `n` of 2048 to 4096 bits, `e` odd and at least 3.
#[derive(Clone)]
pub struct RsaPublicKey(Arc<RsaParts>);

struct RsaParts {
    arithmetic: Modulus,
    exponent: u64,
    /// `n` as big-endian bytes without leading zeros: `k` in RFC 8017.
    modulus: Vec<u8>,
    modulus_bits: u32,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.0.modulus_bits)
    }
}

impl RsaPublicKey {
    /// A key from the big-endian bytes of `n` and `e` (a JWK's decoded `n` and `e`). Refuses,
    /// with the reason: a modulus outside 2048..=4096 bits or even, an exponent of 1, even, or
    /// over 64 bits, and moduli with the ROCA fingerprint (CVE-2017-15361), whose private keys
    /// can be computed from the public key.
    pub fn new(n: &[u8], e: &[u8]) -> std::result::Result<Self, String> {
        let modulus: Vec<u8> = n.iter().copied().skip_while(|b| *b == 0).collect();
        let modulus_bits = match modulus.first() {
            Some(first) => modulus.len() as u32 * 8 - first.leading_zeros(),
            None => 0,
        };
        if modulus_bits < MIN_MODULUS_BITS {
            return Err(format!(
                "an RSA modulus of {modulus_bits} bits is too small: at least {MIN_MODULUS_BITS} \
                 bits (RFC 7518 §3.3)"
            ));
        }
        if modulus_bits > MAX_MODULUS_BITS {
            return Err(format!(
                "an RSA modulus of {modulus_bits} bits is larger than the {MAX_MODULUS_BITS} \
                 bits accepted"
            ));
        }
        let exponent_bytes: Vec<u8> = e.iter().copied().skip_while(|b| *b == 0).collect();
        if exponent_bytes.len() > 8 {
            return Err("an RSA public exponent of more than 64 bits is not accepted".into());
        }
        let exponent = exponent_bytes
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        if exponent < 3 || exponent % 2 == 0 {
            return Err(format!(
                "an RSA public exponent of {exponent} is not a valid exponent (odd, at least 3)"
            ));
        }
        if has_roca_fingerprint(&modulus) {
            return Err(
                "the RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key \
                 can be computed; replace the key"
                    .into(),
            );
        }
        let arithmetic =
            Modulus::new(&modulus).ok_or_else(|| "an RSA modulus must be odd".to_owned())?;
        Ok(RsaPublicKey(Arc::new(RsaParts {
            arithmetic,
            exponent,
            modulus,
            modulus_bits,
        })))
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> u32 {
        self.0.modulus_bits
    }

    /// The length every signature under this key has, in bytes (`k`, RFC 8017 §5.2.2): a
    /// signature with its leading zero bytes dropped is refused, on every path.
    pub fn signature_len(&self) -> usize {
        self.0.modulus.len()
    }

    /// RSAVP1 (RFC 8017 §5.2.2): `s^e mod n` as `k` big-endian bytes, for a signature of
    /// exactly `k` bytes whose value is below `n`.
    fn open(&self, signature: &[u8]) -> Option<Vec<u8>> {
        let parts = &self.0;
        let k = parts.modulus.len();
        // Big-endian byte strings of one length compare as the integers they encode.
        if signature.len() != k || signature >= parts.modulus.as_slice() {
            return None;
        }
        Some(parts.arithmetic.pow(signature, parts.exponent, k))
    }

    /// Whether `signature` is a valid signature of `message` under this key.
    pub fn verifies(
        &self,
        padding: RsaPadding,
        hash: RsaHash,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let Some(encoded) = self.open(signature) else {
            return false;
        };
        let digest = hash.digest(&[message]);
        match padding {
            RsaPadding::Pkcs1v15 => pkcs1v15_matches(&encoded, hash, &digest),
            RsaPadding::Pss => pss_matches(&encoded, self.0.modulus_bits - 1, hash, &digest),
        }
    }
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2), checked by encoding: `00 01 FF..FF 00 DigestInfo`.
fn pkcs1v15_matches(encoded: &[u8], hash: RsaHash, digest: &[u8]) -> bool {
    let prefix = hash.digest_info_prefix();
    let t_len = prefix.len() + digest.len();
    // At least 8 bytes of 0xFF padding (RFC 8017 §9.2 step 3).
    if encoded.len() < t_len + 11 {
        return false;
    }
    let mut expected = Vec::with_capacity(encoded.len());
    expected.extend_from_slice(&[0x00, 0x01]);
    expected.resize(encoded.len() - t_len - 1, 0xff);
    expected.push(0x00);
    expected.extend_from_slice(prefix);
    expected.extend_from_slice(digest);
    expected == encoded
}

/// MGF1 (RFC 8017 §B.2.1) with `hash`, `len` bytes.
fn mgf1(hash: RsaHash, seed: &[u8], len: usize) -> Vec<u8> {
    let mut mask = Vec::with_capacity(len + hash.len());
    let mut counter = 0u32;
    while mask.len() < len {
        mask.extend(hash.digest(&[seed, &counter.to_be_bytes()]));
        counter += 1;
    }
    mask.truncate(len);
    mask
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with a salt as long as the hash. `encoded` is the `k`-byte
/// output of RSAVP1; `em_bits` is `modBits - 1`.
fn pss_matches(encoded: &[u8], em_bits: u32, hash: RsaHash, digest: &[u8]) -> bool {
    let em_len = em_bits.div_ceil(8) as usize;
    // I2OSP(m, emLen) (§8.1.2 step 2c): when emLen < k, the leading byte must be zero.
    let (leading, em) = encoded.split_at(encoded.len() - em_len);
    if leading.iter().any(|b| *b != 0) {
        return false;
    }
    let (h_len, s_len) = (hash.len(), hash.len());
    if em_len < h_len + s_len + 2 || em.last() != Some(&0xbc) {
        return false;
    }
    let (masked_db, rest) = em.split_at(em_len - h_len - 1);
    let h = &rest[..h_len];
    // The bits above emBits must be zero.
    let unused_bits = 8 * em_len as u32 - em_bits;
    let top_mask = 0xffu8 >> unused_bits;
    if masked_db[0] & !top_mask != 0 {
        return false;
    }
    let mut db = mgf1(hash, h, masked_db.len());
    db.iter_mut().zip(masked_db).for_each(|(d, m)| *d ^= m);
    db[0] &= top_mask;
    let zeros = em_len - h_len - s_len - 2;
    if db[..zeros].iter().any(|b| *b != 0) || db[zeros] != 0x01 {
        return false;
    }
    let salt = &db[zeros + 1..];
    hash.digest(&[&[0u8; 8], digest, salt]) == h
}

/// The primes of the ROCA fingerprint test (Nemec et al., CCS 2017): a modulus produced by the
/// affected library is, modulo each of them, a power of 65537.
const ROCA_PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Whether `n` (big-endian) has the ROCA fingerprint.
fn has_roca_fingerprint(n: &[u8]) -> bool {
    ROCA_PRIMES.iter().all(|&p| {
        let residue = n
            .iter()
            .fold(0u32, |acc, b| (acc * 256 + u32::from(*b)) % p);
        // The subgroup generated by 65537 modulo p.
        let generator = 65537 % p;
        let mut power = 1;
        loop {
            if power == residue {
                return true;
            }
            power = power * generator % p;
            if power == 1 {
                return false;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roca_test_flags_powers_of_65537_only() {
        // 65537^k mod p for every p: a product of such residues is a fingerprint; 2 is not.
        assert!(has_roca_fingerprint(&[0x01]));
        assert!(has_roca_fingerprint(&[0x01, 0x00, 0x01]));
        assert!(!has_roca_fingerprint(&[0x02]));
    }

    #[test]
    fn small_and_degenerate_keys_are_refused_with_a_reason() {
        let n1024 = [0xc5u8; 128];
        let n2048 = [0xc5u8; 256];
        assert!(RsaPublicKey::new(&n1024, &[1, 0, 1])
            .unwrap_err()
            .contains("1024 bits is too small"));
        assert!(RsaPublicKey::new(&n2048, &[1])
            .unwrap_err()
            .contains("exponent of 1"));
        assert!(RsaPublicKey::new(&n2048, &[1, 0, 0])
            .unwrap_err()
            .contains("exponent of 65536"));
        assert!(RsaPublicKey::new(&[0xc5u8; 513], &[1, 0, 1])
            .unwrap_err()
            .contains("larger than"));
    }
}
