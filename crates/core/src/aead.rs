//! AES-256-GCM as the issuer seals things at rest or in transit (a managed key's private half,
//! the code flow's state): a fresh 96-bit nonce each time, what the text is bound to as
//! associated data, and base64url of the nonce and the ciphertext. Written once for both.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::error::{Error, Result};
use crate::jose::b64;

const NONCE_LENGTH: usize = 12;

/// `msg` encrypted and authenticated under `cipher`, bound to `aad`: base64url text.
pub(crate) fn seal(cipher: &Aes256Gcm, aad: &[u8], msg: &[u8]) -> Result<String> {
    let mut nonce = [0u8; NONCE_LENGTH];
    getrandom::fill(&mut nonce)
        .map_err(|e| Error::Internal(format!("no randomness source: {e}")))?;
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg, aad })
        .map_err(|_| Error::Internal("could not encrypt".into()))?;
    Ok(b64::encode(&[&nonce[..], &sealed].concat()))
}

/// The plaintext of what [`seal`] made under `cipher` for `aad`; `None` for anything else
/// (another key, another `aad`, an altered or malformed text), never a guess.
pub(crate) fn open(cipher: &Aes256Gcm, aad: &[u8], text: &str) -> Option<Vec<u8>> {
    let bytes = b64::decode(text)?;
    if bytes.len() <= NONCE_LENGTH {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LENGTH);
    let nonce = Nonce::try_from(nonce).ok()?;
    cipher.decrypt(&nonce, Payload { msg: sealed, aad }).ok()
}
