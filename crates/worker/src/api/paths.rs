//! What the route table (`routes::route`) is made of: the methods a route takes, from which
//! `Allow`, the 405s and the preflight answers follow, and the parsers of the parameters a path
//! carries.

use edge_jwt_core::authorization::seal::MAX_SEALED;
use edge_jwt_core::claims::MAX_SUBJECT_LENGTH;

use super::{form, ApiError};

/// The methods a route takes (`OPTIONS` always, for CORS preflight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Methods {
    Get,
    Post,
}

impl Methods {
    pub fn allows(self, method: &str) -> bool {
        match self {
            Methods::Get => method == "GET" || method == "HEAD",
            Methods::Post => method == "POST",
        }
    }

    /// The `Allow` header's value.
    pub fn allow(self) -> &'static str {
        match self {
            Methods::Get => "GET, HEAD, OPTIONS",
            Methods::Post => "POST, OPTIONS",
        }
    }
}

/// A `{sub}` of a path: RFC 3986 percent-decoding (`+` is a plus sign), 1 to 256 bytes; 400
/// otherwise.
pub fn subject(segment: &str) -> Result<String, ApiError> {
    let sub = form::decode_segment(segment).map_err(|_| {
        ApiError::invalid_request("the subject in the path is not valid percent-encoded UTF-8")
    })?;
    if sub.is_empty() || sub.len() > MAX_SUBJECT_LENGTH {
        return Err(ApiError::invalid_request(format!(
            "the subject must be 1 to {MAX_SUBJECT_LENGTH} bytes"
        )));
    }
    Ok(sub)
}

/// A `sid` is what the issuer makes: 22 base64url characters.
pub fn session_id(segment: &str) -> Result<String, ApiError> {
    issued_id(segment, 22..=22, "session id")
}

/// A managed key's id: an RFC 7638 thumbprint (43 base64url characters; other lengths up to
/// 128 are refused by the key object as unknown, not here).
pub fn key_id(segment: &str) -> Result<String, ApiError> {
    issued_id(segment, 1..=128, "key id")
}

/// An id the issuer makes: base64url characters, of a length in `lengths`.
fn issued_id(
    segment: &str,
    lengths: std::ops::RangeInclusive<usize>,
    what: &str,
) -> Result<String, ApiError> {
    let valid = lengths.contains(&segment.len())
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(segment.to_owned())
    } else {
        Err(ApiError::invalid_request(format!(
            "the {what} in the path is not one this issuer makes"
        )))
    }
}

/// A login challenge is what the issuer makes: sealed text, base64url, at most
/// [`MAX_SEALED`] characters (what it carries is checked when it is opened).
pub fn challenge(segment: &str) -> Result<String, ApiError> {
    let sealed = !segment.is_empty()
        && segment.len() <= MAX_SEALED
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if sealed {
        Ok(segment.to_owned())
    } else {
        Err(ApiError::invalid_request(
            "the login challenge in the path is not one this issuer makes",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_decode_as_path_segments() {
        assert_eq!(
            subject("ann+test%40example.com").unwrap(),
            "ann+test@example.com"
        );
        for bad in ["%zz", "%ff", "%+9", ""] {
            let err = subject(bad).unwrap_err();
            assert_eq!((err.status, err.error), (400, "invalid_request"), "{bad}");
        }
        assert_eq!(
            subject(&"a".repeat(MAX_SUBJECT_LENGTH + 1))
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn session_ids_are_what_the_issuer_makes() {
        let sid = "AAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(session_id(sid).unwrap(), sid);
        for bad in ["x", "AAAAAAAAAAAAAAAAAAAAA%", &"A".repeat(23)] {
            assert_eq!(session_id(bad).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn methods_name_their_allow_header() {
        assert!(Methods::Get.allows("HEAD") && !Methods::Get.allows("POST"));
        assert_eq!(Methods::Post.allow(), "POST, OPTIONS");
    }
}
