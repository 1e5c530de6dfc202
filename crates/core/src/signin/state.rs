//! What the sign-in carries from the issuer to the identity provider and back: sealed in the
//! authorization request's `state`, so nothing is stored, and bound to the browser that began it
//! by a cookie (its hash is in the seal), so a callback from another browser, or a forged one, is
//! refused (login CSRF). It lives ten minutes; the login challenge it answers is answered once.

use serde::{Deserialize, Serialize};

use crate::authorization::seal::{Purpose, SealKey};
use crate::authorization::Consent;
use crate::error::{Error, Result};
use crate::jose::b64;

/// How long a sign-in may take at the identity provider.
pub const SIGN_IN_TTL: u64 = 600;

/// One sign-in in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInState {
    /// The login challenge it answers (the pending authorization, sealed).
    pub challenge: String,
    /// The upstream's id.
    pub upstream: String,
    /// The PKCE verifier of the request to the provider (RFC 7636).
    pub verifier: String,
    /// The `nonce` its ID token must carry (OpenID Connect Core §3.1.2.1).
    pub nonce: String,
    /// The hash of the browser's cookie value.
    binding: String,
    pub expires_at: u64,
}

fn hash(text: &str) -> String {
    b64::encode(&hmac_sha256::Hash::hash(text.as_bytes()))
}

impl SignInState {
    /// A sign-in of `challenge` with `upstream`, for the browser holding cookie value
    /// `browser`: a fresh verifier and nonce.
    pub fn begin(challenge: &str, upstream: &str, browser: &str, now: u64) -> Result<Self> {
        Ok(SignInState {
            challenge: challenge.to_owned(),
            upstream: upstream.to_owned(),
            // Two 128-bit ids: 44 unreserved characters (RFC 7636 §4.1 wants 43 or more).
            verifier: format!("{}{}", crate::random::new_id()?, crate::random::new_id()?),
            nonce: crate::random::new_id()?,
            binding: hash(browser),
            expires_at: now + SIGN_IN_TTL,
        })
    }

    /// The PKCE `code_challenge` (S256) of its verifier.
    pub fn code_challenge(&self) -> String {
        hash(&self.verifier)
    }

    /// It, sealed: the `state` sent to the provider.
    pub fn seal(&self, key: &SealKey) -> Result<String> {
        key.seal(Purpose::SignIn, self)
    }

    /// The sign-in `state` names, for the browser holding cookie value `browser` (none: it
    /// has no cookie). Anything else (not sealed here, expired, another browser's) is
    /// `SignInFailed`, saying so.
    pub fn open(key: &SealKey, state: &str, browser: Option<&str>, now: u64) -> Result<Self> {
        let failed = |why: &str| Error::SignInFailed(why.to_owned());
        let opened: SignInState = key
            .open(Purpose::SignIn, state)
            .ok_or_else(|| failed("the sign-in's state is not one this issuer began"))?;
        if now >= opened.expires_at {
            return Err(failed(
                "the sign-in took too long: start again from the application",
            ));
        }
        check_browser(&opened.binding, browser)?;
        Ok(opened)
    }
}

/// Refuses a browser whose cookie value does not hash to `binding`.
fn check_browser(binding: &str, browser: Option<&str>) -> Result<()> {
    let presented = browser.map(hash).unwrap_or_default();
    if crate::authorization::pkce::ct_eq(presented.as_bytes(), binding.as_bytes()) {
        return Ok(());
    }
    Err(Error::SignInFailed(
        "the sign-in was begun in another browser (or its cookie is gone): start again from the \
         application"
            .into(),
    ))
}

/// A signed-in user's consent, pending on the consent page for a client the operator did not
/// configure: sealed into the page's form, bound to the same browser, so the form can only be
/// answered by the browser that signed in (no cross-site post carries the cookie).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentTicket {
    pub challenge: String,
    pub consent: Consent,
    binding: String,
    pub expires_at: u64,
}

impl ConsentTicket {
    /// The consent page's ticket for `sign_in`'s browser (cookie value `browser`).
    pub fn new(sign_in: &SignInState, consent: Consent, now: u64) -> Self {
        ConsentTicket {
            challenge: sign_in.challenge.clone(),
            consent,
            binding: sign_in.binding.clone(),
            expires_at: now + SIGN_IN_TTL,
        }
    }

    pub fn seal(&self, key: &SealKey) -> Result<String> {
        key.seal(Purpose::Consent, self)
    }

    /// The ticket a consent form carries, for the browser holding cookie value `browser`.
    pub fn open(key: &SealKey, ticket: &str, browser: Option<&str>, now: u64) -> Result<Self> {
        let opened: ConsentTicket = key.open(Purpose::Consent, ticket).ok_or_else(|| {
            Error::SignInFailed("the consent form is not one this issuer showed".into())
        })?;
        if now >= opened.expires_at {
            return Err(Error::SignInFailed(
                "the consent page was left open too long: start again from the application".into(),
            ));
        }
        check_browser(&opened.binding, browser)?;
        Ok(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_opens_only_in_its_browser_and_in_time() {
        let key = SealKey::derive(b"secret");
        let state = SignInState::begin("challenge", "corp", "cookie-value", 100).unwrap();
        let sealed = state.seal(&key).unwrap();
        assert_eq!(
            SignInState::open(&key, &sealed, Some("cookie-value"), 101).unwrap(),
            state
        );
        for (browser, now) in [
            (Some("other"), 101),
            (None, 101),
            (Some("cookie-value"), 100 + SIGN_IN_TTL),
        ] {
            let err = SignInState::open(&key, &sealed, browser, now).unwrap_err();
            assert_eq!(err.error_code(), crate::ErrorCode::SignInFailed);
        }
        assert!(SignInState::open(
            &SealKey::derive(b"other"),
            &sealed,
            Some("cookie-value"),
            101
        )
        .is_err());
        assert_eq!(state.code_challenge().len(), 43);
        assert!(state.verifier.len() >= 43);
    }

    #[test]
    fn a_consent_ticket_is_answered_only_by_the_browser_that_signed_in() {
        let key = SealKey::derive(b"secret");
        let state = SignInState::begin("challenge", "corp", "cookie-value", 100).unwrap();
        let consent = Consent {
            sub: "corp|1".into(),
            ..Consent::default()
        };
        let ticket = ConsentTicket::new(&state, consent, 200).seal(&key).unwrap();
        let opened = ConsentTicket::open(&key, &ticket, Some("cookie-value"), 201).unwrap();
        assert_eq!(opened.consent.sub, "corp|1");
        assert!(ConsentTicket::open(&key, &ticket, Some("another"), 201).is_err());
        assert!(
            ConsentTicket::open(&key, &ticket, Some("cookie-value"), 200 + SIGN_IN_TTL).is_err()
        );
        // A sign-in state is not a ticket, nor the reverse.
        let sealed_state = state.seal(&key).unwrap();
        assert!(ConsentTicket::open(&key, &sealed_state, Some("cookie-value"), 101).is_err());
        assert!(SignInState::open(&key, &ticket, Some("cookie-value"), 201).is_err());
    }
}
