//! Identifiers: 128 random bits, base64url (22 characters).

use crate::error::{Error, Result};
use crate::jose::b64;

/// A fresh 128-bit random identifier for a `jti`, a `sid` or a client secret.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(format!("no randomness source: {e}")))?;
    Ok(b64::encode(&bytes))
}
