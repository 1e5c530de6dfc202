//! Canonical base64url (RFC 7515 §2): URL-safe alphabet, no padding, no whitespace, and zero
//! trailing bits, so every byte string has exactly one encoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Decodes canonical, unpadded base64url; `None` for anything else.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    // The engine rejects `+`, `/`, `=`, whitespace and non-zero trailing bits.
    URL_SAFE_NO_PAD.decode(text).ok()
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_canonical_forms() {
        assert_eq!(decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode("YR"), None, "non-zero trailing bits");
        assert_eq!(decode("YQ=="), None, "padding");
        assert_eq!(decode("Y Q"), None, "whitespace");
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("+/8"), None, "standard alphabet");
        assert_eq!(decode("Y"), None, "impossible length");
    }
}
