//! JWKS import and export (RFC 7517; RFC 8037 `OKP`/`Ed25519`; RFC 7518 `EC` `P-256`/`P-384`,
//! `RSA`, `oct`). Entries of a type edge-jwt does not use (X25519, P-521, `use: enc`...) are
//! skipped, so a provider's mixed JWKS still works; a set left with no usable key is an error. An
//! entry of a usable type whose key material is broken or weak is an error, never silently
//! dropped. `x5c`, `x5t` and `x5u` are never read: a key is its `n`/`e` or `x`/`y`, not a
//! certificate's.

#[cfg(feature = "issuer")]
use jwt_simple::prelude::{ES256KeyPair, Ed25519KeyPair, HS256Key};
use serde_json::{Map, Value};

use super::{
    Algorithm, HmacSecret, PublicKey, RsaPublicKey, RsaVerifyingKey, VerificationKey,
    VerificationKeys,
};
#[cfg(feature = "issuer")]
use super::{KeySet, PrivateKey, SigningKey};
use crate::error::{Error, Result};
use crate::jose::{b64, json};

/// Largest JWKS document accepted, in bytes.
pub const MAX_JWKS_LENGTH: usize = 64 * 1024;

/// The key types edge-jwt reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `OKP` with `crv` `Ed25519`.
    Ed25519,
    /// `EC` with `crv` `P-256`.
    P256,
    /// `EC` with `crv` `P-384`.
    P384,
    /// `RSA`, 2048 to 4096 bits.
    Rsa,
    /// `oct`: a shared secret.
    Oct,
}

impl KeyType {
    /// The algorithms a key of this type may verify.
    pub fn algorithms(self) -> &'static [Algorithm] {
        use Algorithm::*;
        match self {
            KeyType::Ed25519 => &[EdDSA],
            KeyType::P256 => &[ES256],
            KeyType::P384 => &[ES384],
            KeyType::Rsa => &[RS256, RS384, RS512, PS256, PS384, PS512],
            KeyType::Oct => &[HS256],
        }
    }
}

/// One JWKS member this crate can use, classified but not yet loaded.
#[derive(Debug, Clone)]
pub struct JwksEntry {
    pub key_type: KeyType,
    /// The entry's own `alg`, if it has one (always one of its type's algorithms).
    pub alg: Option<Algorithm>,
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
            self.skipped.iter().fold(String::new(), |mut all, why| {
                if !all.is_empty() {
                    all.push_str("; ");
                }
                all.push_str(why);
                all
            })
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

/// One JWK that came inside a message (a DPoP proof's `jwk` header) rather than in a key set,
/// as the public key of `alg`; refused if it is not a key of that algorithm.
pub fn parse_jwk(jwk: Map<String, Value>, alg: Algorithm) -> Result<PublicKey> {
    let entry = classify(jwk, 0)?.map_err(Error::JwksInvalid)?;
    if !entry.algorithms(Some(&[alg])).contains(&alg) {
        return Err(entry.load_error(format!("not a key for {}", alg.name())));
    }
    entry
        .to_verification_keys(&[alg])?
        .pop()
        .map(|key| key.key)
        .ok_or_else(|| entry.load_error(format!("not a key for {}", alg.name())))
}

// A key from its affine coordinates, checked to be on the curve (and each coordinate below the
// field's modulus). The coordinates are always given, so no SEC1 decoding, whose point
// decompression (a square root) would be dead weight in the npm package.
fn p256_key(x: &[u8], y: &[u8]) -> Option<p256::ecdsa::VerifyingKey> {
    use p256::elliptic_curve::point::AffineCoordinates as _;
    let (x, y) = (
        p256::FieldBytes::try_from(x).ok()?,
        p256::FieldBytes::try_from(y).ok()?,
    );
    let point = Option::from(p256::AffinePoint::from_coordinates(&x, &y))?;
    p256::ecdsa::VerifyingKey::from_affine(point).ok()
}

#[cfg(feature = "es384")]
fn p384_key(x: &[u8], y: &[u8]) -> Option<super::verifying::Es384Key> {
    use p384::elliptic_curve::point::AffineCoordinates as _;
    let (x, y) = (
        p384::FieldBytes::try_from(x).ok()?,
        p384::FieldBytes::try_from(y).ok()?,
    );
    let point = Option::from(p384::AffinePoint::from_coordinates(&x, &y))?;
    p384::ecdsa::VerifyingKey::from_affine(point).ok()
}

/// Without the core's P-384, the coordinates' lengths are checked here and the point by the
/// host when it imports the key.
#[cfg(not(feature = "es384"))]
fn p384_key(_x: &[u8], _y: &[u8]) -> Option<super::verifying::Es384Key> {
    Some(super::verifying::Es384Key)
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
    let key_type = match (text("kty"), text("crv")) {
        (Some("OKP"), Some("Ed25519")) => KeyType::Ed25519,
        (Some("EC"), Some("P-256")) => KeyType::P256,
        (Some("EC"), Some("P-384")) => KeyType::P384,
        (Some("RSA"), _) => KeyType::Rsa,
        (Some("oct"), _) => KeyType::Oct,
        (kty, crv) => {
            let what = match (kty, crv) {
                (Some(kty), Some(crv)) => format!("kty \"{kty}\" with crv \"{crv}\""),
                (Some(kty), None) => format!("kty \"{kty}\""),
                _ => "a key without kty".to_owned(),
            };
            return skip(format!(
                "{what} is not supported (OKP Ed25519, EC P-256 or P-384, RSA, oct)"
            ));
        }
    };
    // An `alg` member narrows the key; one that names another algorithm makes it unusable here.
    let alg = match json.get("alg") {
        None => None,
        Some(alg) => {
            let named = alg.as_str().and_then(Algorithm::from_name);
            match named.filter(|a| key_type.algorithms().contains(a)) {
                Some(alg) => Some(alg),
                None => {
                    let named = alg.as_str().unwrap_or("(not a string)");
                    return skip(format!(
                        "its \"alg\" \"{named}\" is not one edge-jwt verifies with this key type"
                    ));
                }
            }
        }
    };
    let kid = match json.get("kid") {
        None => None,
        Some(Value::String(kid)) if !kid.is_empty() => Some(kid.clone()),
        Some(_) => {
            return Err(Error::JwksInvalid(
                "\"kid\" must be a non-empty string".into(),
            ))
        }
    };
    let private = key_type == KeyType::Oct || json.contains_key("d");
    Ok(Ok(JwksEntry {
        key_type,
        alg,
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
        let what = match self.alg {
            Some(alg) => alg.name(),
            None => self.key_type.algorithms()[0].name(),
        };
        Error::JwksInvalid(format!("{} ({what}): {e}", self.describe()))
    }

    /// The algorithms this entry verifies: its `alg`, else its type's one algorithm; an RSA key
    /// without `alg` verifies the RSA algorithms that `allowed` names, and none if it names
    /// none (such a key could otherwise verify PS256 tokens where RS256 was meant).
    pub fn algorithms(&self, allowed: Option<&[Algorithm]>) -> Vec<Algorithm> {
        match (self.alg, self.key_type.algorithms()) {
            (Some(alg), _) => vec![alg],
            (None, [only]) => vec![*only],
            (None, several) => several
                .iter()
                .copied()
                .filter(|alg| allowed.is_some_and(|allowed| allowed.contains(alg)))
                .collect(),
        }
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

    /// Loads the entry as the verification keys of `algorithms` (see [`JwksEntry::algorithms`]).
    /// Private members are refused: a verifier is never handed a signing key.
    pub fn to_verification_keys(&self, algorithms: &[Algorithm]) -> Result<Vec<VerificationKey>> {
        if self.private && self.key_type != KeyType::Oct {
            return Err(self.load_error("a verifier's JWKS must not contain private keys"));
        }
        let keys: Vec<PublicKey> = match self.key_type {
            KeyType::Ed25519 => vec![PublicKey::ed25519(&self.material("x", 32)?)
                .map_err(|_| self.load_error("not an Ed25519 public key"))?],
            KeyType::P256 => {
                let (x, y) = (self.material("x", 32)?, self.material("y", 32)?);
                vec![PublicKey::Es256(
                    p256_key(&x, &y).ok_or_else(|| self.load_error("not a point on P-256"))?,
                )]
            }
            KeyType::P384 => {
                let (x, y) = (self.material("x", 48)?, self.material("y", 48)?);
                vec![PublicKey::Es384(
                    p384_key(&x, &y).ok_or_else(|| self.load_error("not a point on P-384"))?,
                )]
            }
            KeyType::Rsa => {
                let key = RsaPublicKey::new(&self.material("n", 0)?, &self.material("e", 0)?)
                    .map_err(|e| self.load_error(e))?;
                algorithms
                    .iter()
                    .filter_map(|alg| RsaVerifyingKey::new(key.clone(), *alg))
                    .map(PublicKey::Rsa)
                    .collect()
            }
            KeyType::Oct => vec![PublicKey::Hs256(self.hmac_secret()?)],
        };
        Ok(keys
            .into_iter()
            .map(|key| VerificationKey {
                kid: self.kid.clone(),
                key,
                position: Some(self.position),
            })
            .collect())
    }

    /// Loads the entry as a signing key; it must be private and have a `kid`.
    #[cfg(feature = "issuer")]
    pub fn to_signing_key(&self) -> Result<SigningKey> {
        let Some(kid) = self.kid.clone() else {
            return Err(self.load_error("every signing key needs a \"kid\""));
        };
        if !self.private {
            return Err(self.load_error("a signing key set needs private keys (\"d\")"));
        }
        let text = Value::Object(self.json.clone()).to_string();
        let key = match self.key_type {
            KeyType::Ed25519 => PrivateKey::Ed25519(
                Ed25519KeyPair::from_jwk(&text).map_err(|e| self.load_error(e))?,
            ),
            KeyType::P256 => {
                PrivateKey::Es256(ES256KeyPair::from_jwk(&text).map_err(|e| self.load_error(e))?)
            }
            KeyType::Oct => PrivateKey::Hs256(HS256Key::from_bytes(self.hmac_secret()?.as_bytes())),
            KeyType::P384 | KeyType::Rsa => {
                let alg = self.key_type.algorithms()[0];
                return Err(self.load_error(super::signing::not_a_signing_algorithm(alg)));
            }
        };
        SigningKey::new(kid, key)
    }
}

impl VerificationKeys {
    /// A verifier's keys from a JWKS or one JWK, for the `algorithms` a verifier allows (`None`:
    /// each key's own). Symmetric (`oct`) keys are used only when `algorithms` names `HS256`,
    /// and never mixed with public keys; an RSA key without `alg` only for the RSA algorithms
    /// that `algorithms` names.
    pub fn from_jwks(text: &str, algorithms: Option<&[Algorithm]>) -> Result<Self> {
        let mut parsed = parse_jwks_entries(text)?;
        let allows_hs256 = algorithms.is_some_and(|algs| algs.contains(&Algorithm::HS256));
        let mut usable = Vec::new();
        for entry in std::mem::take(&mut parsed.entries) {
            let entry_algorithms = entry.algorithms(algorithms);
            if entry.key_type == KeyType::Oct && !allows_hs256 {
                parsed.skipped.push(format!(
                    "{} skipped: a shared secret (oct) is used only when the algorithms option \
                     names \"HS256\" (for example {{ algorithms: [\"HS256\"] }})",
                    entry.describe()
                ));
            } else if entry_algorithms.is_empty() {
                parsed.skipped.push(format!(
                    "{} skipped: an RSA key without \"alg\" is used only for the RSA algorithms \
                     the algorithms option names (for example {{ algorithms: [\"RS256\"] }})",
                    entry.describe()
                ));
            } else {
                usable.push((entry, entry_algorithms));
            }
        }
        if usable.is_empty() {
            return Err(parsed.no_usable_key());
        }
        let symmetric = usable
            .iter()
            .filter(|(e, _)| e.key_type == KeyType::Oct)
            .count();
        if symmetric > 0 && symmetric < usable.len() {
            return Err(Error::JwksInvalid(
                "a JWKS must not mix shared secrets (oct) with public keys".into(),
            ));
        }
        let mut keys = Vec::new();
        for (entry, entry_algorithms) in &usable {
            keys.extend(entry.to_verification_keys(entry_algorithms)?);
        }
        VerificationKeys::new(keys)
    }
}

#[cfg(feature = "issuer")]
use serde_json::json;

#[cfg(feature = "issuer")]
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
