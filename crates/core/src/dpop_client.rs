//! The client's side of DPoP (RFC 9449 §4.2): what a proof says, ready to be signed by a key
//! the core never sees (a browser's non-extractable WebCrypto key). [`crate::dpop`] checks
//! proofs; this writes them, by the same rules (`htu` without query or fragment, `ath` the
//! token's hash), so the two cannot drift apart.

use serde_json::{Map, Value};

use crate::dpop::{access_token_hash, jwk_thumbprint, PROOF_TYP};
use crate::error::{Error, Result};
use crate::jose::b64;
use crate::jose::json::quote;
use crate::keys::Algorithm;

/// One proof to sign: the key's public JWK and algorithm, the request, and what makes it
/// unique and fresh.
#[derive(Debug, Clone)]
pub struct ProofClaims<'a> {
    /// The public key, as a JWK object (`kty`, `crv`, `x`, `y` for P-256; `kty`, `crv`, `x` for
    /// Ed25519): only its public members are put in the header.
    pub jwk: &'a Map<String, Value>,
    pub algorithm: Algorithm,
    pub method: &'a str,
    /// The request's URL; its query and fragment are left out of `htu`.
    pub url: &'a str,
    /// Seconds since the epoch.
    pub iat: u64,
    /// A new random value for each proof.
    pub jti: &'a str,
    /// The access token sent with the proof (to a resource), whose hash becomes `ath`.
    pub access_token: Option<&'a str>,
    /// The server's latest `DPoP-Nonce`, if it gave one.
    pub nonce: Option<&'a str>,
}

/// The JWS signing input (`header.payload`, base64url) of a proof; the signer appends `.` and
/// its signature. Refuses a symmetric algorithm and a key with private members.
pub fn proof_signing_input(proof: &ProofClaims<'_>) -> Result<String> {
    let invalid = |why: &str| Error::InvalidOption(why.to_owned());
    let members: &[&str] = match proof.algorithm {
        Algorithm::ES256 => &["kty", "crv", "x", "y"],
        Algorithm::EdDSA => &["kty", "crv", "x"],
        _ => return Err(invalid("a DPoP key signs with ES256 or EdDSA")),
    };
    // The thumbprint's rules refuse a key missing a member: it is the key servers will see.
    jwk_thumbprint(proof.jwk)
        .map_err(|_| invalid("a DPoP key is a public EC (P-256) or OKP (Ed25519) JWK"))?;
    // Only the public members go in the header (never `d`, nor `kid` or `ext`).
    let mut jwk = String::new();
    for name in members {
        let value = proof
            .jwk
            .get(*name)
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !jwk.is_empty() {
            jwk.push(',');
        }
        jwk.push_str(&quote(name));
        jwk.push(':');
        jwk.push_str(&quote(value));
    }
    let header = format!(
        r#"{{"typ":{},"alg":{},"jwk":{{{jwk}}}}}"#,
        quote(PROOF_TYP),
        quote(proof.algorithm.name())
    );
    let htu = proof.url.split(['?', '#']).next().unwrap_or_default();
    let mut claims = format!(
        r#"{{"jti":{},"htm":{},"htu":{},"iat":{}"#,
        quote(proof.jti),
        quote(proof.method),
        quote(htu),
        proof.iat
    );
    if let Some(token) = proof.access_token {
        claims.push_str(&format!(r#","ath":{}"#, quote(&access_token_hash(token))));
    }
    if let Some(nonce) = proof.nonce {
        claims.push_str(&format!(r#","nonce":{}"#, quote(nonce)));
    }
    claims.push('}');
    Ok(format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(claims.as_bytes())
    ))
}
