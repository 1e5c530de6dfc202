//! An OpenID provider's ID token, checked as OpenID Connect Core §3.1.3.7 says, with the
//! verifier's own rules and the provider's published keys: its `iss`, `aud` (the issuer's client
//! at the provider), `azp`, `nonce`, `exp` and `iat`, signed with an algorithm the provider
//! publishes and the verifier takes (asymmetric only).

use serde_json::Value;

use crate::claims::Claims;
use crate::error::{Error, Result};
use crate::keys::{Algorithm, VerificationKeys};
use crate::verify::{Verifier, VerifyOptions};

/// What an ID token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenCheck<'a> {
    pub issuer: &'a str,
    /// The issuer's client at the provider: the token's audience.
    pub client_id: &'a str,
    /// The nonce the sign-in sent.
    pub nonce: &'a str,
    /// The provider's `id_token_signing_alg_values_supported` (none published: RS256, the
    /// default OpenID Connect requires).
    pub algorithms: Option<&'a [String]>,
    pub now: u64,
    pub leeway: u64,
}

/// The claims of the provider's ID token for this sign-in, verified with its keys (`jwks`, as
/// text). Every failure is `SignInFailed`, saying what.
pub fn verify_id_token(token: &str, jwks: &str, check: &IdTokenCheck<'_>) -> Result<Claims> {
    let failed =
        |why: String| Error::SignInFailed(format!("the identity provider's ID token {why}"));
    let published: Vec<Algorithm> = match check.algorithms {
        None => vec![Algorithm::RS256],
        Some(names) => names
            .iter()
            .filter_map(|n| Algorithm::from_name(n))
            .collect(),
    };
    // Asymmetric only: an HMAC under the client secret proves nothing the code exchange did not.
    let algorithms: Vec<Algorithm> = (published.into_iter())
        .filter(|alg| *alg != Algorithm::HS256)
        .collect();
    if algorithms.is_empty() {
        return Err(failed(
            "is signed with no algorithm the issuer takes".into(),
        ));
    }
    let keys = VerificationKeys::from_jwks(jwks, Some(&algorithms))
        .map_err(|e| failed(format!("cannot be checked: the provider's keys: {e}")))?;
    let options = VerifyOptions {
        issuer: Some(check.issuer.to_owned()),
        audience: Some(check.client_id.to_owned()),
        leeway: check.leeway,
        typ: None,
        algorithms: Some(algorithms),
        ..VerifyOptions::default()
    };
    let verifier = Verifier::new(keys, options).map_err(|e| failed(e.to_string()))?;
    let claims =
        (verifier.verify(token, check.now)).map_err(|e| failed(format!("does not verify: {e}")))?;
    let text = |name: &'static str| claims.string(name).ok().flatten();
    // Several audiences: the one it was issued to must say so (§3.1.3.7 items 4 and 5).
    let audiences = match claims.as_map().get("aud") {
        Some(Value::Array(items)) => items.len(),
        _ => 1,
    };
    match text("azp") {
        Some(azp) if azp != check.client_id => {
            return Err(failed(format!("was issued to another client ({azp})")))
        }
        None if audiences > 1 => return Err(failed("has several audiences and no azp".into())),
        _ => {}
    }
    if claims.numeric_date("iat")?.is_none() {
        return Err(failed("has no iat".into()));
    }
    if !text("nonce").is_some_and(|nonce| {
        crate::authorization::pkce::ct_eq(nonce.as_bytes(), check.nonce.as_bytes())
    }) {
        return Err(failed("is not for this sign-in (nonce)".into()));
    }
    if text("sub").is_none_or(str::is_empty) {
        return Err(failed("names no user (sub)".into()));
    }
    Ok(claims)
}
