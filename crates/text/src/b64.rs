//! Canonical base64url (RFC 7515 §2): URL-safe alphabet, no padding, no whitespace, and zero
//! trailing bits, so every byte string has exactly one encoding.

/// The base64url alphabet (RFC 4648 §5).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Each byte's value as a base64url symbol; `INVALID` (top bits set) for any other byte.
const INVALID: u8 = 0xff;
const SYMBOLS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Decodes canonical, unpadded base64url; `None` for anything else: `+`, `/`, `=`, whitespace,
/// an impossible length, or non-zero trailing bits. Written out, with the encoder below, rather
/// than taken from the base64 crate, whose engine is several KB of the npm package's wasm.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let symbol = |b: u8| u32::from(SYMBOLS[usize::from(b)]);
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let mut quads = bytes.chunks_exact(4);
    for quad in &mut quads {
        let (a, b, c, d) = (
            symbol(quad[0]),
            symbol(quad[1]),
            symbol(quad[2]),
            symbol(quad[3]),
        );
        if (a | b | c | d) > 63 {
            return None;
        }
        let bits = (a << 18) | (b << 12) | (c << 6) | d;
        out.extend_from_slice(&bits.to_be_bytes()[1..]);
    }
    // The bits past the last whole byte must be zero, or two texts would decode alike.
    match *quads.remainder() {
        [] => {}
        [a, b] => {
            let (a, b) = (symbol(a), symbol(b));
            if (a | b) > 63 || b & 0x0f != 0 {
                return None;
            }
            out.push(((a << 2) | (b >> 4)) as u8);
        }
        [a, b, c] => {
            let (a, b, c) = (symbol(a), symbol(b), symbol(c));
            if (a | b | c) > 63 || c & 0x03 != 0 {
                return None;
            }
            let bits = (a << 10) | (b << 4) | (c >> 2);
            out.extend_from_slice(&(bits as u16).to_be_bytes());
        }
        _ => return None,
    }
    Some(out)
}

/// Encodes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    let symbol = |bits: u32| ALPHABET[(bits & 63) as usize] as char;
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(symbol(bits >> (18 - 6 * i)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

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

    #[test]
    fn encodes_as_the_base64_crate_does() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len * 11) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text, URL_SAFE_NO_PAD.encode(&bytes), "{len}");
            assert_eq!(decode(&text), Some(bytes));
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }
}
