//! Splitting and decoding a compact JWS (RFC 7515 §7.1). Nothing here trusts the token: the
//! header only selects a key, and the key decides which algorithms count.

use super::b64;
use super::json::{self, Members};
use crate::error::{Error, Result};

/// The protected header members edge-jwt reads. `jku`, `x5u`, `jwk` and `x5c` are never read,
/// so a token can never point the verifier at a key of its choosing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

/// A compact JWS, decoded but not verified.
#[derive(Debug)]
pub struct CompactJws<'a> {
    pub header: Header,
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    pub signing_input: &'a str,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Largest protected header accepted, encoded. Real headers are under 200 bytes.
pub const MAX_HEADER_LENGTH: usize = 1024;

impl<'a> CompactJws<'a> {
    /// Decodes `token`, refusing anything longer than `max_length` before looking inside it.
    pub fn parse(token: &'a str, max_length: usize) -> Result<Self> {
        if token.len() > max_length {
            return Err(Error::JwsInvalid("token exceeds the length limit"));
        }
        let mut parts = token.splitn(4, '.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::JwsInvalid(
                "a compact JWS has exactly three segments",
            ));
        };
        if header_b64.len() > MAX_HEADER_LENGTH {
            return Err(Error::JwsInvalid("protected header too large"));
        }
        let header_bytes = b64::decode(header_b64).ok_or(Error::JwsInvalid(
            "protected header is not canonical base64url",
        ))?;
        let payload = b64::decode(payload_b64)
            .ok_or(Error::JwsInvalid("payload is not canonical base64url"))?;
        let signature = b64::decode(signature_b64)
            .ok_or(Error::JwsInvalid("signature is not canonical base64url"))?;
        let header_json = json::parse_members(&header_bytes).ok_or(Error::JwsInvalid(
            "protected header is not a JSON object without duplicate names",
        ))?;
        let header = Header::from_json(&header_json)?;
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        Ok(CompactJws {
            header,
            signing_input,
            payload,
            signature,
        })
    }
}

impl Header {
    fn from_json(json: &Members) -> Result<Self> {
        // No extension is understood, so any `crit` must be refused (RFC 7515 §4.1.11).
        if json.contains("crit") {
            return Err(Error::JwsInvalid("unsupported \"crit\" header parameter"));
        }
        let alg = match json.get("alg").map(|alg| alg.as_str()) {
            Some(Some(alg)) => alg.to_owned(),
            _ => return Err(Error::JwsInvalid("missing or malformed \"alg\" header")),
        };
        Ok(Header {
            alg,
            kid: optional_string(json, "kid")?,
            typ: optional_string(json, "typ")?,
        })
    }

    /// Compares `typ` as jose does: case-insensitively, with an `application/` prefix ignored.
    pub fn typ_is(&self, expected: &str) -> bool {
        self.typ
            .as_deref()
            .is_some_and(|typ| normalize_typ(typ) == normalize_typ(expected))
    }
}

fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

fn optional_string(json: &Members, name: &'static str) -> Result<Option<String>> {
    match json.get(name).map(|value| value.as_str()) {
        None => Ok(None),
        Some(Some(s)) => Ok(Some(s.to_owned())),
        Some(None) => Err(Error::JwsInvalid("a header parameter has the wrong type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_comparison_follows_jose() {
        let header = Header {
            alg: "EdDSA".into(),
            kid: None,
            typ: Some("application/AT+JWT".into()),
        };
        assert!(header.typ_is("at+jwt"));
        assert!(!header.typ_is("rt+jwt"));
    }
}
