//! `application/x-www-form-urlencoded` bodies, strictly: every parameter at most once
//! (RFC 6749 §3.2), valid UTF-8 after decoding, and the right content type.

use std::collections::BTreeMap;

use super::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// The media type of a `Content-Type` header value, lowercased, without parameters.
pub fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Refuses a body whose content type is not `expected`.
pub fn require_media_type(content_type: Option<&str>, expected: &str) -> Result<(), ApiError> {
    if media_type(content_type) == expected {
        Ok(())
    } else {
        Err(ApiError::invalid_request(format!(
            "Content-Type must be {expected}"
        )))
    }
}

/// Parsed form parameters.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Form(BTreeMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::invalid_request("form body is not UTF-8"))?;
        let mut params = BTreeMap::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name)?;
            let value = decode(value)?;
            if params.insert(name.clone(), value).is_some() {
                return Err(ApiError::invalid_request(format!(
                    "parameter {name} is repeated"
                )));
            }
        }
        Ok(Form(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid_request(format!("missing parameter {name}")))
    }
}

/// A URL's query as its parameters, in order and with repeats (the authorization endpoint tells
/// a repeated parameter apart itself, RFC 6749 §3.1).
pub fn query_pairs(url: &str) -> Result<Vec<(String, String)>, ApiError> {
    let query = url
        .split('#')
        .next()
        .unwrap_or("")
        .split_once('?')
        .map_or("", |(_, q)| q);
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// Form decoding (`application/x-www-form-urlencoded`): percent-decoding with `+` as space.
pub fn decode(text: &str) -> Result<String, ApiError> {
    percent_decode(text, true)
}

/// RFC 3986 percent-decoding (a path segment: `+` is a plus sign). Every `%` takes exactly
/// two hex digits; the result must be UTF-8.
pub fn decode_segment(text: &str) -> Result<String, ApiError> {
    percent_decode(text, false)
}

fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, ApiError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hex = |at: usize| {
                    bytes
                        .get(at)
                        .and_then(|b| (*b as char).to_digit(16))
                        .map(|d| d as u8)
                };
                let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
                    return Err(ApiError::invalid_request("malformed percent-encoding"));
                };
                out.push(high << 4 | low);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::invalid_request("parameter is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let form = Form::parse(b"grant_type=refresh_token&refresh_token=a%2Eb+c").unwrap();
        assert_eq!(form.get("grant_type"), Some("refresh_token"));
        assert_eq!(form.get("refresh_token"), Some("a.b c"));
        assert_eq!(form.get("missing"), None);
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let err = Form::parse(b"token=a&token=b").unwrap_err();
        assert_eq!((err.status, err.error), (400, "invalid_request"));
    }

    #[test]
    fn bad_encodings_are_refused() {
        assert!(Form::parse(b"a=%zz").is_err());
        assert!(Form::parse(b"a=%4").is_err());
        // Two hex digits, never a sign: `%+9` is not a tab.
        assert!(Form::parse(b"a=%+9").is_err());
        assert!(Form::parse(b"a=%-9").is_err());
        assert!(Form::parse(b"a=%ff%fe").is_err(), "not UTF-8 once decoded");
        assert!(Form::parse(&[b'a', b'=', 0xff]).is_err(), "not UTF-8 raw");
    }

    #[test]
    fn path_segments_keep_plus_signs() {
        assert_eq!(
            decode_segment("ann+test%40example.com").unwrap(),
            "ann+test@example.com"
        );
        assert!(decode_segment("%zz").is_err());
        assert!(decode_segment("%ff").is_err());
    }

    #[test]
    fn media_types_ignore_parameters_and_case() {
        assert!(require_media_type(
            Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
            "application/x-www-form-urlencoded"
        )
        .is_ok());
        assert!(require_media_type(Some("text/plain"), "application/json").is_err());
        assert!(require_media_type(None, "application/json").is_err());
    }
}
