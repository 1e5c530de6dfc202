//! `edge-jwt`: operator commands.
//!
//! ```text
//! edge-jwt keygen [EdDSA|ES256|HS256]     a private JWKS with one fresh key (for EDGE_JWT_SIGNING_KEYS)
//! edge-jwt keygen --wrap                  a key wrap secret: 32 random bytes, base64url (for EDGE_JWT_KEY_WRAP)
//! edge-jwt dev-vars [CLIENT_ID]           a .dev.vars file: a fresh Ed25519 key and client secret
//! edge-jwt public-jwks < private.json     the public JWKS of a private one
//! edge-jwt decode TOKEN                   header and claims, unverified
//! edge-jwt verify JWKS_FILE TOKEN [NOW]   verify with the keys of a (public) JWKS, typ at+jwt
//! ```

use std::io::Read as _;
use std::process::ExitCode;

use edge_jwt_core::jose::{b64, CompactJws};
use edge_jwt_core::keys::SigningKey;
use edge_jwt_core::{Algorithm, KeySet, VerificationKeys, Verifier, VerifyOptions};
use serde_json::{json, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&args) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("edge-jwt: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[&str]) -> Result<String, String> {
    match args {
        ["keygen"] => keygen(Algorithm::EdDSA),
        ["keygen", "--wrap"] => wrap_secret(),
        ["keygen", alg] => keygen(Algorithm::from_name(alg).ok_or("unknown algorithm")?),
        ["dev-vars"] => dev_vars("dev-backend"),
        ["dev-vars", client_id] => dev_vars(client_id),
        ["public-jwks"] => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| e.to_string())?;
            let keys = KeySet::from_jwks(&text).map_err(|e| e.to_string())?;
            Ok(keys.public_jwks().to_string())
        }
        ["decode", token] => decode(token),
        ["verify", jwks, token] => verify(jwks, token, None),
        ["verify", jwks, token, now] => {
            verify(jwks, token, Some(now.parse().map_err(|_| "NOW is in seconds")?))
        }
        _ => Err(format!(
            "usage: edge-jwt keygen [EdDSA|ES256|HS256|--wrap] | dev-vars [CLIENT_ID] | public-jwks | decode TOKEN | verify JWKS_FILE TOKEN [NOW]{}",
            if args.is_empty() { "" } else { "\n(unrecognized arguments)" }
        )),
    }
}

fn keygen(alg: Algorithm) -> Result<String, String> {
    let key = SigningKey::generate(alg).map_err(|e| e.to_string())?;
    let set = KeySet::new(vec![key]).map_err(|e| e.to_string())?;
    Ok(set.private_jwks().to_string())
}

/// The secret that managed signing keys are encrypted under at rest (AES-256-GCM).
fn wrap_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness source: {e}"))?;
    Ok(b64::encode(&bytes))
}

/// A `.dev.vars` (dotenv) file. Values are single-quoted: the JSON inside has no single quote.
fn dev_vars(client_id: &str) -> Result<String, String> {
    let keys = keygen(Algorithm::EdDSA)?;
    let secret = format!(
        "{}{}",
        edge_jwt_core::random::new_id().map_err(|e| e.to_string())?,
        edge_jwt_core::random::new_id().map_err(|e| e.to_string())?
    );
    let clients = json!({ client_id: secret }).to_string();
    Ok(format!(
        "# Local secrets for `wrangler dev`, written by `edge-jwt dev-vars`. Never commit this file.\n\
         EDGE_JWT_SIGNING_KEYS='{keys}'\n\
         EDGE_JWT_CLIENTS='{clients}'"
    ))
}

fn decode(token: &str) -> Result<String, String> {
    let jws = CompactJws::parse(token, 64 * 1024).map_err(|e| e.to_string())?;
    let payload: Value = serde_json::from_slice(&jws.payload)
        .unwrap_or_else(|_| Value::String(b64::encode(&jws.payload)));
    Ok(serde_json::to_string_pretty(&json!({
        "header": {"alg": jws.header.alg, "kid": jws.header.kid, "typ": jws.header.typ},
        "payload": payload,
        "verified": false,
    }))
    .unwrap_or_default())
}

fn verify(jwks_file: &str, token: &str, now: Option<u64>) -> Result<String, String> {
    let text = std::fs::read_to_string(jwks_file).map_err(|e| format!("{jwks_file}: {e}"))?;
    let keys = VerificationKeys::from_jwks(&text, None).map_err(|e| e.to_string())?;
    let verifier = Verifier::new(keys, VerifyOptions::default()).map_err(|e| e.to_string())?;
    let now = match now {
        Some(now) => now,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs(),
    };
    let claims = verifier
        .verify(token, now)
        .map_err(|e| format!("{}: {e}", e.code()))?;
    Ok(serde_json::to_string_pretty(&Value::Object(claims.into_map())).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_vars_hold_a_usable_key_set_and_client() {
        let text = dev_vars("dev-backend").unwrap();
        let line = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}='")))
                .and_then(|l| l.strip_suffix('\''))
                .unwrap()
                .to_owned()
        };
        let keys = KeySet::from_jwks(&line("EDGE_JWT_SIGNING_KEYS")).unwrap();
        assert_eq!(keys.signer().algorithm(), Algorithm::EdDSA);
        let clients: Value = serde_json::from_str(&line("EDGE_JWT_CLIENTS")).unwrap();
        assert!(clients["dev-backend"].as_str().unwrap().len() >= 32);
    }

    #[test]
    fn a_wrap_secret_is_one_the_key_ring_takes_and_fresh_each_time() {
        let secret = run(&["keygen", "--wrap"]).unwrap();
        let wrap = edge_jwt_core::keyring::wrap::WrapKey::from_base64url(&secret).unwrap();
        let sealed = wrap.wrap("k1", b"private").unwrap();
        assert_eq!(wrap.unwrap("k1", &sealed).unwrap(), b"private");
        assert_ne!(run(&["keygen", "--wrap"]).unwrap(), secret);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(run(&[]).is_err());
        assert!(run(&["keygen", "RS256"]).is_err());
        assert!(run(&["decode", "a.b"]).is_err());
    }
}
