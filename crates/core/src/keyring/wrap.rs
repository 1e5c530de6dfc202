//! A managed key's private half at rest: AES-256-GCM under the deployment's wrap key
//! (`EDGE_JWT_KEY_WRAP`, 32 random bytes), a fresh 96-bit nonce each time, and the key's `kid`
//! as associated data, so a wrapped key cannot be passed off as another.

use aes_gcm::aead::KeyInit;
use aes_gcm::{Aes256Gcm, Key};

use crate::error::{Error, Result};
use crate::jose::b64;

/// The wrap key: exactly 32 bytes, given base64url-encoded (what `edge-jwt keygen --wrap` prints).
pub struct WrapKey(Aes256Gcm);

impl std::fmt::Debug for WrapKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WrapKey(…)") // never the key
    }
}

impl WrapKey {
    pub fn from_base64url(text: &str) -> Result<Self> {
        let bytes = b64::decode(text.trim())
            .filter(|bytes| bytes.len() == 32)
            .ok_or_else(|| {
                Error::InvalidOption(
                    "the key wrap secret must be 32 random bytes, base64url-encoded (edge-jwt keygen --wrap makes one)"
                        .into(),
                )
            })?;
        let key = Key::<Aes256Gcm>::try_from(&bytes[..])
            .map_err(|_| Error::InvalidOption("the key wrap secret must be 32 bytes".into()))?;
        Ok(WrapKey(Aes256Gcm::new(&key)))
    }

    /// `plaintext` encrypted for key `kid`: base64url of the nonce and the ciphertext.
    pub fn wrap(&self, kid: &str, plaintext: &[u8]) -> Result<String> {
        crate::aead::seal(&self.0, kid.as_bytes(), plaintext)
    }

    /// The plaintext of what [`WrapKey::wrap`] made for `kid`; refused (never guessed at) under
    /// another wrap key, for another `kid`, or altered.
    pub fn unwrap(&self, kid: &str, wrapped: &str) -> Result<Vec<u8>> {
        crate::aead::open(&self.0, kid.as_bytes(), wrapped).ok_or_else(|| {
            Error::Internal(format!(
                "key {kid} cannot be decrypted: EDGE_JWT_KEY_WRAP is not the secret it was wrapped with"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> WrapKey {
        WrapKey::from_base64url(&b64::encode(&[byte; 32])).unwrap()
    }

    #[test]
    fn a_round_trip_and_what_is_refused() {
        let wrapped = key(1).wrap("k1", b"{\"d\":\"secret\"}").unwrap();
        assert!(!wrapped.contains("secret"));
        assert_eq!(
            key(1).unwrap("k1", &wrapped).unwrap(),
            b"{\"d\":\"secret\"}"
        );
        // Another wrap key, another kid, an altered byte: refused, never a wrong plaintext.
        let wrong = key(2).unwrap("k1", &wrapped).unwrap_err().to_string();
        assert!(wrong.contains("EDGE_JWT_KEY_WRAP"), "{wrong}");
        assert!(key(1).unwrap("k2", &wrapped).is_err());
        let mut bytes = b64::decode(&wrapped).unwrap();
        bytes[20] ^= 1;
        assert!(key(1).unwrap("k1", &b64::encode(&bytes)).is_err());
        // A fresh nonce each time: the same key wrapped twice differs.
        assert_ne!(
            key(1).wrap("k1", b"x").unwrap(),
            key(1).wrap("k1", b"x").unwrap()
        );
    }

    #[test]
    fn a_wrap_secret_of_the_wrong_size_is_refused() {
        for text in [
            "",
            "short",
            &b64::encode(&[0u8; 31]),
            &b64::encode(&[0u8; 33]),
        ] {
            assert!(WrapKey::from_base64url(text).is_err(), "{text}");
        }
    }
}
