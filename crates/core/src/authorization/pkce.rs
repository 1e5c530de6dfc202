//! PKCE (RFC 7636), S256 only (OAuth 2.1 §4.1.1: `plain` is refused).

use crate::error::{Error, Result};
use crate::jose::b64;

/// The only `code_challenge_method` accepted.
pub const S256: &str = "S256";

/// A `code_challenge` as `/authorize` takes it: `S256` and a SHA-256 (43 base64url characters).
pub fn check_challenge(method: Option<&str>, challenge: Option<&str>) -> Result<String> {
    let challenge = challenge.filter(|c| !c.is_empty()).ok_or_else(|| {
        Error::InvalidOption("code_challenge is required (PKCE, RFC 7636, method S256)".into())
    })?;
    match method {
        Some(S256) => {}
        Some("plain") => {
            return Err(Error::InvalidOption(
                "code_challenge_method plain is refused: use S256".into(),
            ))
        }
        Some(other) => {
            return Err(Error::InvalidOption(format!(
                "code_challenge_method {other:?} is not S256"
            )))
        }
        None => {
            return Err(Error::InvalidOption(
                "code_challenge_method is required and must be S256".into(),
            ))
        }
    }
    let valid =
        challenge.len() == 43 && b64::decode(challenge).is_some_and(|hash| hash.len() == 32);
    if !valid {
        return Err(Error::InvalidOption(
            "code_challenge must be BASE64URL(SHA256(code_verifier)): 43 characters".into(),
        ));
    }
    Ok(challenge.to_owned())
}

/// Whether `verifier` (43 to 128 unreserved characters, RFC 7636 §4.1) hashes to `challenge`.
pub fn verify(verifier: &str, challenge: &str) -> Result<()> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(Error::AuthorizationCodeInvalid(
            "code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)".into(),
        ));
    }
    let hashed = b64::encode(&hmac_sha256::Hash::hash(verifier.as_bytes()));
    if ct_eq(hashed.as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(Error::AuthorizationCodeInvalid(
            "the code_verifier does not match the code_challenge".into(),
        ))
    }
}

/// Equal bytes, compared in time that depends only on the length.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_appendix_b() {
        assert_eq!(
            check_challenge(Some("S256"), Some(CHALLENGE)).unwrap(),
            CHALLENGE
        );
        verify(VERIFIER, CHALLENGE).unwrap();
        let other = VERIFIER.replace('d', "e");
        assert!(verify(&other, CHALLENGE).is_err());
    }

    #[test]
    fn plain_a_missing_challenge_and_bad_verifiers_are_refused() {
        for (method, challenge) in [
            (Some("plain"), Some(CHALLENGE)),
            (None, Some(CHALLENGE)),
            (Some("S256"), None),
            (Some("S256"), Some("short")),
            (Some("s256"), Some(CHALLENGE)),
        ] {
            let err = check_challenge(method, challenge).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_OPTION", "{method:?} {challenge:?}");
        }
        for verifier in ["short", &"a".repeat(129), &format!("{}!", &VERIFIER[1..])] {
            assert_eq!(
                verify(verifier, CHALLENGE).unwrap_err().code(),
                "ERR_AUTHORIZATION_CODE_INVALID"
            );
        }
    }
}
