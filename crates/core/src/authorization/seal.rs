//! Flow state carried sealed instead of stored, as Ory Hydra carries its flow in its challenge:
//! a pending request in the login challenge, a granted one in the code. AES-256-GCM under a key
//! of the deployment's, a fresh 96-bit nonce each time, and what the text is for as associated
//! data, so a challenge is never read as a code (nor the reverse). Sealed text is opaque to the
//! app and the client, and cannot be altered or forged without the key.

use aes_gcm::aead::KeyInit;
use aes_gcm::{Aes256Gcm, Key};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// The longest sealed text opened: a challenge rides in URLs.
pub const MAX_SEALED: usize = 8 * 1024;

/// What a sealed text is for (its associated data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A login challenge: a pending authorization request.
    Challenge,
    /// An authorization code: a granted one, until it is exchanged.
    Code,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Challenge => b"edge-jwt login challenge v1",
            Purpose::Code => b"edge-jwt authorization code v1",
        }
    }
}

/// The key flow state is sealed under.
pub struct SealKey(Aes256Gcm);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(…)") // never the key
    }
}

impl SealKey {
    /// The key derived from a secret of the deployment's (SHA-256 of a label and the secret):
    /// the same secret gives the same key in every isolate.
    pub fn derive(secret: &[u8]) -> Self {
        let mut hash = hmac_sha256::Hash::new();
        hash.update(b"edge-jwt authorization seal key v1\0");
        hash.update(secret);
        let digest: [u8; 32] = hash.finalize();
        SealKey(Aes256Gcm::new(&Key::<Aes256Gcm>::from(digest)))
    }

    /// `value` as JSON, encrypted and authenticated for `purpose`: base64url text.
    pub fn seal<T: Serialize>(&self, purpose: Purpose, value: &T) -> Result<String> {
        let text = serde_json::to_vec(value)
            .map_err(|e| Error::Internal(format!("cannot encode sealed state: {e}")))?;
        crate::aead::seal(&self.0, purpose.label(), &text)
    }

    /// What [`SealKey::seal`] sealed for `purpose`; `None` for anything else (another key,
    /// another purpose, an altered or foreign text): the caller says what that means.
    pub fn open<T: DeserializeOwned>(&self, purpose: Purpose, text: &str) -> Option<T> {
        if text.len() > MAX_SEALED {
            return None;
        }
        let plain = crate::aead::open(&self.0, purpose.label(), text)?;
        serde_json::from_slice(&plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::b64;

    #[test]
    fn sealed_state_opens_only_with_its_key_for_its_purpose_and_unaltered() {
        let key = SealKey::derive(b"deployment secret");
        let sealed = key.seal(Purpose::Challenge, &("alice", 7)).unwrap();
        assert!(!sealed.contains("alice"));
        let opened: Option<(String, u32)> = key.open(Purpose::Challenge, &sealed);
        assert_eq!(opened, Some(("alice".into(), 7)));
        // The same secret, another isolate: the same key.
        let again: Option<(String, u32)> =
            SealKey::derive(b"deployment secret").open(Purpose::Challenge, &sealed);
        assert!(again.is_some());
        let other: Option<(String, u32)> =
            SealKey::derive(b"another secret").open(Purpose::Challenge, &sealed);
        assert!(other.is_none());
        let as_code: Option<(String, u32)> = key.open(Purpose::Code, &sealed);
        assert!(as_code.is_none(), "a challenge is never a code");
        let mut bytes = b64::decode(&sealed).unwrap();
        bytes[15] ^= 1;
        let altered: Option<(String, u32)> = key.open(Purpose::Challenge, &b64::encode(&bytes));
        assert!(altered.is_none());
        assert_ne!(sealed, key.seal(Purpose::Challenge, &("alice", 7)).unwrap());
    }
}
