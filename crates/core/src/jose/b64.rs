//! Canonical base64url (RFC 7515 §2): URL-safe alphabet, no padding, no whitespace, and zero
//! trailing bits, so every byte string has exactly one encoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Decodes canonical, unpadded base64url; `None` for anything else: `+`, `/`, `=`, whitespace,
/// an impossible length, or non-zero trailing bits. Written out (rather than the base64 crate's
/// engine, which the encoder still uses) because it is all the npm package's wasm needs of it.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let symbols = text
        .bytes()
        .map(|c| match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()?;
    if symbols.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() * 3 / 4);
    for chunk in symbols.chunks(4) {
        let bits =
            chunk.iter().fold(0u32, |acc, s| (acc << 6) | u32::from(*s)) << (6 * (4 - chunk.len()));
        let bytes = bits.to_be_bytes();
        let whole = chunk.len() - 1;
        // The bits past the last whole byte must be zero, or two texts would decode alike.
        if bytes[1 + whole..].iter().any(|b| *b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..1 + whole]);
    }
    Some(out)
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
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("YWJj"), Some(b"abc".to_vec()));
        assert_eq!(decode("YWI"), Some(b"ab".to_vec()));
        assert_eq!(
            decode("YWJ"),
            None,
            "non-zero trailing bits after two bytes"
        );
    }

    #[test]
    fn agrees_with_the_base64_crate_on_every_short_input() {
        // Every text of up to 3 symbols from a small alphabet with each class of character.
        let alphabet = ["A", "Q", "Y", "_", "-", "z", "9", "+", "=", " "];
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        for text in texts.iter().flat_map(|t| [t.clone(), format!("YWJj{t}")]) {
            assert_eq!(
                decode(&text),
                URL_SAFE_NO_PAD.decode(&text).ok(),
                "{text:?}"
            );
        }
    }
}
