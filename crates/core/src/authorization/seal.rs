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
    /// A sign-in at an identity provider, in flight (its `state`).
    SignIn,
    /// A signed-in user's consent, pending on the consent page.
    Consent,
    /// A session's link to the identity provider that signed its user in (its refresh token).
    UpstreamLink,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Challenge => b"edge-jwt login challenge v1",
            Purpose::Code => b"edge-jwt authorization code v1",
            Purpose::SignIn => b"edge-jwt upstream sign-in v1",
            Purpose::Consent => b"edge-jwt sign-in consent v1",
            Purpose::UpstreamLink => b"edge-jwt upstream link v1",
        }
    }
}

/// The key flow state is sealed under, and the one the DPoP nonces are made with.
pub struct SealKey(Aes256Gcm, [u8; 32]);

/// How long a DPoP nonce is current (RFC 9449 §8); the one before it is still taken.
pub const DPOP_NONCE_WINDOW: u64 = 300;

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
        let mut nonce_key = hmac_sha256::Hash::new();
        nonce_key.update(b"edge-jwt dpop nonce key v1\0");
        nonce_key.update(secret);
        SealKey(
            Aes256Gcm::new(&Key::<Aes256Gcm>::from(digest)),
            nonce_key.finalize(),
        )
    }

    /// The DPoP nonces a server takes at `now` (RFC 9449 §8): the current one, which it hands
    /// out, and the one of the window before. Stateless: a MAC of the window under the
    /// deployment's key, the same in every isolate, unguessable without the key.
    pub fn dpop_nonces(&self, now: u64) -> [String; 2] {
        let window = now / DPOP_NONCE_WINDOW;
        let nonce = |window: u64| {
            let mac = hmac_sha256::HMAC::mac(window.to_be_bytes(), self.1);
            crate::jose::b64::encode(&mac[..16])
        };
        [nonce(window), nonce(window.saturating_sub(1))]
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
    fn dpop_nonces_are_the_deployments_and_move_with_the_window() {
        let key = SealKey::derive(b"deployment secret");
        let [current, previous] = key.dpop_nonces(1_000 * DPOP_NONCE_WINDOW + 7);
        assert_eq!(current.len(), 22);
        assert_ne!(current, previous);
        assert_eq!(key.dpop_nonces(1_001 * DPOP_NONCE_WINDOW)[1], current);
        assert_eq!(
            SealKey::derive(b"deployment secret").dpop_nonces(1_000 * DPOP_NONCE_WINDOW)[0],
            current
        );
        assert_ne!(
            SealKey::derive(b"another secret").dpop_nonces(1_000 * DPOP_NONCE_WINDOW)[0],
            current
        );
    }

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
