//! JWKS import and export (RFC 7517; RFC 8037 `OKP`/`Ed25519`; RFC 7518 `EC`/`P-256`, `oct`).
//! Entries of a type edge-jwt does not use (RSA, X25519, P-384, `use: enc`...) are skipped, so a
//! provider's mixed JWKS still works; a set left with no usable key is an error. An entry of a
//! usable type whose key material is broken is an error, never silently dropped.

use jwt_simple::prelude::{ES256KeyPair, Ed25519KeyPair, HS256Key};
use serde_json::{json, Map, Value};

use super::{
    Algorithm, HmacSecret, KeySet, PrivateKey, PublicKey, SigningKey, VerificationKey,
    VerificationKeys,
};
use crate::error::{Error, Result};
use crate::jose::{b64, json};

/// Largest JWKS document accepted, in bytes.
pub const MAX_JWKS_LENGTH: usize = 64 * 1024;

/// One JWKS member this crate can use, classified but not yet loaded.
#[derive(Debug, Clone)]
pub struct JwksEntry {
    pub algorithm: Algorithm,
    pub kid: Option<String>,
    /// Whether the entry carries private material (`d` for OKP/EC; always for `oct`).
    pub private: bool,
    /// Its position in the document's `keys` (0 for a single JWK).
    pub position: usize,
    json: Map<String, Value>,
}

/// A parsed JWKS: the entries edge-jwt can use, and why each other one was skipped.
#[derive(Debug, Clone, Default)]
pub struct ParsedJwks {
    pub entries: Vec<JwksEntry>,
    /// One line per skipped member: which (its `kid`, or its position) and why.
    pub skipped: Vec<String>,
}

impl ParsedJwks {
    /// The error for a set left with no usable key: it names what was skipped and why.
    pub fn no_usable_key(&self) -> Error {
        if self.skipped.is_empty() {
            return Error::JwksInvalid("the key set has no keys".into());
        }
        Error::JwksInvalid(format!(
            "the key set has no usable key: {}",
            self.skipped.join("; ")
        ))
    }
}

/// A JWKS member as error messages name it.
fn describe(json: &Map<String, Value>, position: usize) -> String {
    match json.get("kid").and_then(Value::as_str) {
        Some(kid) => format!("key \"{kid}\""),
        None => format!("key #{position} (no kid)"),
    }
}

/// Parses a JWKS (`{"keys": [...]}`) or a single JWK, keeping the entries edge-jwt can use.
pub fn parse_jwks_entries(text: &str) -> Result<ParsedJwks> {
    if text.len() > MAX_JWKS_LENGTH {
        return Err(Error::JwksInvalid("document exceeds 64 KiB".into()));
    }
    let document = json::parse_object(text.as_bytes()).ok_or_else(|| {
        Error::JwksInvalid("not a JSON object without duplicate member names".into())
    })?;
    let members = match document.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        Some(_) => return Err(Error::JwksInvalid("\"keys\" must be an array".into())),
        None if document.contains_key("kty") => vec![Value::Object(document)],
        None => return Err(Error::JwksInvalid("neither a JWKS nor a JWK".into())),
    };
    let mut parsed = ParsedJwks::default();
    for (position, member) in members.into_iter().enumerate() {
        let Value::Object(json) = member else {
            return Err(Error::JwksInvalid(
                "every JWKS member must be an object".into(),
            ));
        };
        match classify(json, position)? {
            Ok(entry) => parsed.entries.push(entry),
            Err(why) => parsed.skipped.push(why),
        }
    }
    Ok(parsed)
}

/// Decides whether edge-jwt uses this JWK, and as what; `Err(why)` skips it.
fn classify(
    json: Map<String, Value>,
    position: usize,
) -> Result<std::result::Result<JwksEntry, String>> {
    let text = |name: &str| json.get(name).and_then(Value::as_str);
    let skip = |why: String| Ok(Err(format!("{} skipped: {why}", describe(&json, position))));
    // Keys meant for encryption, or whose key_ops exclude signatures, are not ours to use.
    if let Some(u) = text("use").filter(|u| *u != "sig") {
        return skip(format!("\"use\" is \"{u}\", not \"sig\""));
    }
    if let Some(ops) = json.get("key_ops") {
        let ops: Vec<&str> = ops
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !ops.iter().any(|op| *op == "verify" || *op == "sign") {
            return skip("\"key_ops\" has neither \"verify\" nor \"sign\"".into());
        }
    }
    let algorithm = match (text("kty"), text("crv")) {
        (Some("OKP"), Some("Ed25519")) => Algorithm::EdDSA,
        (Some("EC"), Some("P-256")) => Algorithm::ES256,
        (Some("oct"), _) => Algorithm::HS256,
        (kty, crv) => {
            let what = match (kty, crv) {
                (Some(kty), Some(crv)) => format!("kty \"{kty}\" with crv \"{crv}\""),
                (Some(kty), None) => format!("kty \"{kty}\""),
                _ => "a key without kty".to_owned(),
            };
            return skip(format!(
                "{what} is not supported (OKP Ed25519 for EdDSA, EC P-256 for ES256, oct for HS256)"
            ));
        }
    };
    // An `alg` member narrows the key; one that names another algorithm makes it unusable here.
    if let Some(alg) = json.get("alg") {
        if alg.as_str().and_then(Algorithm::from_name) != Some(algorithm) {
            let named = alg.as_str().unwrap_or("(not a string)");
            return skip(format!(
                "its \"alg\" \"{named}\" does not fit its key type ({})",
                algorithm.name()
            ));
        }
    }
    let kid = match json.get("kid") {
        None => None,
        Some(Value::String(kid)) if !kid.is_empty() => Some(kid.clone()),
        Some(_) => {
            return Err(Error::JwksInvalid(
                "\"kid\" must be a non-empty string".into(),
            ))
        }
    };
    let private = algorithm == Algorithm::HS256 || json.contains_key("d");
    Ok(Ok(JwksEntry {
        algorithm,
        kid,
        private,
        position,
        json,
    }))
}

impl JwksEntry {
    fn describe(&self) -> String {
        match &self.kid {
            Some(kid) => format!("key \"{kid}\""),
            None => "a key without kid".into(),
        }
    }

    fn load_error(&self, e: impl std::fmt::Display) -> Error {
        Error::JwksInvalid(format!(
            "{} ({}): {e}",
            self.describe(),
            self.algorithm.name()
        ))
    }

    /// A key-material member: canonical base64url of exactly `len` bytes (any length if 0).
    fn material(&self, name: &str, len: usize) -> Result<Vec<u8>> {
        self.json
            .get(name)
            .and_then(Value::as_str)
            .and_then(b64::decode)
            .filter(|bytes| len == 0 || bytes.len() == len)
            .ok_or_else(|| self.load_error(format!("\"{name}\" is missing or malformed")))
    }

    /// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    fn hmac_secret(&self) -> Result<HmacSecret> {
        HmacSecret::new(self.material("k", 0)?).map_err(|e| self.load_error(e))
    }

    /// Loads the entry as a verification key. Private members are refused: a verifier is never
    /// handed a signing key.
    pub fn to_verification_key(&self) -> Result<VerificationKey> {
        let key = match self.algorithm {
            Algorithm::EdDSA | Algorithm::ES256 if self.private => {
                return Err(self.load_error("a verifier's JWKS must not contain private keys"));
            }
            Algorithm::EdDSA => PublicKey::ed25519(&self.material("x", 32)?)
                .map_err(|_| self.load_error("not an Ed25519 public key"))?,
            Algorithm::ES256 => {
                // SEC1 uncompressed point: 0x04 || x || y; the point is checked to be on P-256.
                let mut point = vec![4u8];
                point.extend(self.material("x", 32)?);
                point.extend(self.material("y", 32)?);
                PublicKey::Es256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map_err(|_| self.load_error("not a point on P-256"))?,
                )
            }
            Algorithm::HS256 => PublicKey::Hs256(self.hmac_secret()?),
        };
        Ok(VerificationKey {
            kid: self.kid.clone(),
            key,
            position: Some(self.position),
        })
    }

    /// Loads the entry as a signing key; it must be private and have a `kid`.
    pub fn to_signing_key(&self) -> Result<SigningKey> {
        let Some(kid) = self.kid.clone() else {
            return Err(self.load_error("every signing key needs a \"kid\""));
        };
        if !self.private {
            return Err(self.load_error("a signing key set needs private keys (\"d\")"));
        }
        let text = Value::Object(self.json.clone()).to_string();
        let key = match self.algorithm {
            Algorithm::EdDSA => PrivateKey::Ed25519(
                Ed25519KeyPair::from_jwk(&text).map_err(|e| self.load_error(e))?,
            ),
            Algorithm::ES256 => {
                PrivateKey::Es256(ES256KeyPair::from_jwk(&text).map_err(|e| self.load_error(e))?)
            }
            Algorithm::HS256 => {
                PrivateKey::Hs256(HS256Key::from_bytes(self.hmac_secret()?.as_bytes()))
            }
        };
        SigningKey::new(kid, key)
    }
}

impl VerificationKeys {
    /// A verifier's keys from a JWKS or one JWK. Symmetric (`oct`) keys are used only when
    /// `allow_hs256` is set, and never mixed with public keys.
    pub fn from_jwks(text: &str, allow_hs256: bool) -> Result<Self> {
        let mut parsed = parse_jwks_entries(text)?;
        let (entries, secrets): (Vec<_>, Vec<_>) = std::mem::take(&mut parsed.entries)
            .into_iter()
            .partition(|e| allow_hs256 || e.algorithm != Algorithm::HS256);
        for secret in secrets {
            parsed.skipped.push(format!(
                "{} skipped: a shared secret (oct) is used only when the algorithms option \
                 names \"HS256\" (for example {{ algorithms: [\"HS256\"] }})",
                secret.describe()
            ));
        }
        if entries.is_empty() {
            return Err(parsed.no_usable_key());
        }
        let symmetric = entries
            .iter()
            .filter(|e| e.algorithm == Algorithm::HS256)
            .count();
        if symmetric > 0 && symmetric < entries.len() {
            return Err(Error::JwksInvalid(
                "a JWKS must not mix shared secrets (oct) with public keys".into(),
            ));
        }
        let keys = entries
            .iter()
            .map(JwksEntry::to_verification_key)
            .collect::<Result<Vec<_>>>()?;
        VerificationKeys::new(keys)
    }
}

impl KeySet {
    /// The issuer's key set from a JWKS of private keys (a Worker secret). The first key signs.
    pub fn from_jwks(text: &str) -> Result<Self> {
        let parsed = parse_jwks_entries(text)?;
        if parsed.entries.is_empty() {
            return Err(parsed.no_usable_key());
        }
        let keys = parsed
            .entries
            .iter()
            .map(JwksEntry::to_signing_key)
            .collect::<Result<Vec<_>>>()?;
        KeySet::new(keys)
    }

    /// The public JWKS served at `/.well-known/jwks.json`: asymmetric keys only, never a secret.
    pub fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys()
            .iter()
            .filter_map(|k| match k.private_key() {
                PrivateKey::Ed25519(key) => Some(key.public_key().to_jwk()),
                PrivateKey::Es256(key) => Some(key.public_key().to_jwk()),
                PrivateKey::Hs256(_) => None,
            })
            .filter_map(|jwk| serde_json::from_str(&jwk).ok())
            .collect();
        json!({ "keys": keys })
    }

    /// The full private JWKS, for `edge-jwt-cli keygen`. Handle as a secret.
    pub fn private_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .keys()
            .iter()
            .filter_map(|k| match k.private_key() {
                PrivateKey::Ed25519(key) => serde_json::from_str(&key.to_jwk()).ok(),
                PrivateKey::Es256(key) => serde_json::from_str(&key.to_jwk()).ok(),
                PrivateKey::Hs256(key) => Some(json!({
                    "kty": "oct", "alg": "HS256", "use": "sig", "kid": k.kid(),
                    "k": b64::encode(&key.to_bytes()),
                })),
            })
            .collect();
        json!({ "keys": keys })
    }
}
