//! Private (signing) keys and the issuer's key set: the first key signs, every key verifies.

use jwt_simple::prelude::{
    ECDSAP256KeyPairLike, ES256KeyPair, Ed25519KeyPair, EdDSAKeyPairLike, HS256Key, HeaderOptions,
    JWTClaims, MACLike,
};
use serde::Serialize;

use super::verifying::HmacSecret;
use super::{Algorithm, PublicKey, VerificationKey, VerificationKeys};
use crate::error::{Error, Result};
use crate::jose::b64;

/// A private key of one algorithm.
#[derive(Debug)]
pub enum PrivateKey {
    Ed25519(Ed25519KeyPair),
    Es256(ES256KeyPair),
    Hs256(HS256Key),
}

/// A private key and the `kid` its tokens carry.
#[derive(Debug)]
pub struct SigningKey {
    kid: String,
    key: PrivateKey,
    /// The key that verifies what this one signs, derived once.
    public: PublicKey,
    /// For Ed25519, the same key for ed25519-dalek, which signs: its 32-bit backend is about
    /// 1.5x faster than ed25519-compact in the Worker's wasm (README, Benchmarks). Both make
    /// the same RFC 8032 signature.
    ed25519: Option<ed25519_dalek::SigningKey>,
    /// For ES256, the same key for p256's deterministic (RFC 6979) signer: jwt-simple signs
    /// with a random nonce, and the issuer needs a token it can make again bit for bit (a
    /// grace-window replay gets the very tokens of the first rotation without storing them).
    es256: Option<p256::ecdsa::SigningKey>,
}

impl SigningKey {
    pub fn new(kid: impl Into<String>, key: PrivateKey) -> Result<Self> {
        let kid = kid.into();
        if kid.is_empty() {
            return Err(Error::JwksInvalid(
                "a signing key needs a non-empty kid".into(),
            ));
        }
        let mut ed25519 = None;
        let mut es256 = None;
        let (key, public) =
            match key {
                PrivateKey::Ed25519(k) => {
                    let pair = k.key_pair().as_ref();
                    let public = PublicKey::ed25519(pair.pk.as_slice())?;
                    ed25519 = Some(ed25519_dalek::SigningKey::from_bytes(&pair.sk.seed()));
                    (PrivateKey::Ed25519(k.with_key_id(&kid)), public)
                }
                PrivateKey::Es256(k) => {
                    let public = PublicKey::Es256(*k.key_pair().public_key().as_ref());
                    es256 = Some(p256::ecdsa::SigningKey::from_slice(&k.to_bytes()).map_err(
                        |_| Error::JwksInvalid(format!("kid \"{kid}\": not a P-256 private key")),
                    )?);
                    (PrivateKey::Es256(k.with_key_id(&kid)), public)
                }
                // At least 32 bytes by construction (generate, or JWKS import).
                PrivateKey::Hs256(k) => {
                    let public = PublicKey::Hs256(HmacSecret::from_trusted(k.to_bytes()));
                    (PrivateKey::Hs256(k.with_key_id(&kid)), public)
                }
            };
        Ok(SigningKey {
            kid,
            key,
            public,
            ed25519,
            es256,
        })
    }

    /// A fresh random key; its `kid` is its RFC 7638 thumbprint (HS256: a random id).
    pub fn generate(alg: Algorithm) -> Result<Self> {
        let (kid, key) = match alg {
            Algorithm::EdDSA => {
                let key = Ed25519KeyPair::generate();
                (key.jwk_thumbprint(), PrivateKey::Ed25519(key))
            }
            Algorithm::ES256 => {
                let key = ES256KeyPair::generate();
                (key.jwk_thumbprint(), PrivateKey::Es256(key))
            }
            Algorithm::HS256 => {
                let key = HS256Key::generate();
                (crate::random::new_id()?, PrivateKey::Hs256(key))
            }
            other => return Err(not_a_signing_algorithm(other)),
        };
        SigningKey::new(kid, key)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    pub fn algorithm(&self) -> Algorithm {
        self.public.algorithm()
    }

    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// Signs `claims` as a compact JWS with header `alg`, `kid` and `typ`. Deterministic for
    /// every algorithm: the same claims signed again give the same token.
    pub fn sign<C: Serialize>(&self, claims: JWTClaims<C>, typ: &str) -> Result<String> {
        let signer_missing =
            || Error::Internal(format!("kid \"{}\" has no signer for its key", self.kid));
        match &self.key {
            PrivateKey::Ed25519(_) => {
                use ed25519_dalek::Signer as _;
                let key = self.ed25519.as_ref().ok_or_else(signer_missing)?;
                self.sign_compact("EdDSA", &claims, typ, |input| {
                    key.sign(input).to_bytes().to_vec()
                })
            }
            PrivateKey::Es256(_) => {
                use p256::ecdsa::signature::Signer as _;
                let key = self.es256.as_ref().ok_or_else(signer_missing)?;
                self.sign_compact("ES256", &claims, typ, |input| {
                    let signature: p256::ecdsa::Signature = key.sign(input);
                    signature.to_bytes().to_vec()
                })
            }
            PrivateKey::Hs256(k) => {
                let options = HeaderOptions {
                    signature_type: Some(typ.to_owned()),
                    ..Default::default()
                };
                k.authenticate_with_options(claims, &options)
                    .map_err(|e| Error::Internal(format!("signing with kid \"{}\": {e}", self.kid)))
            }
        }
    }

    /// The compact JWS jwt-simple would make (header `alg`, `kid`, `typ`; its claims
    /// encoding), with the signature `sign` makes over the signing input.
    fn sign_compact<C: Serialize>(
        &self,
        alg: &str,
        claims: &JWTClaims<C>,
        typ: &str,
        sign: impl FnOnce(&[u8]) -> Vec<u8>,
    ) -> Result<String> {
        let header = serde_json::json!({ "alg": alg, "kid": self.kid, "typ": typ });
        let payload = serde_json::to_vec(claims)
            .map_err(|e| Error::Internal(format!("cannot encode claims: {e}")))?;
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(&payload)
        );
        let signature = sign(input.as_bytes());
        Ok(format!("{input}.{}", b64::encode(&signature)))
    }
}

/// The issuer's keys. The first signs; all of them verify, so a retired key keeps verifying
/// the tokens it signed until they expire.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<SigningKey>,
}

impl KeySet {
    pub fn new(keys: Vec<SigningKey>) -> Result<Self> {
        super::check_key_set(keys.iter().map(|k| (Some(k.kid.as_str()), None)))?;
        Ok(KeySet { keys })
    }

    /// The key that signs new tokens.
    pub fn signer(&self) -> &SigningKey {
        // `new` guarantees at least one key.
        &self.keys[0]
    }

    /// The keys, signer first, taken out of the set.
    pub fn into_keys(self) -> Vec<SigningKey> {
        self.keys
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// Every key of the set, for verifying the issuer's own tokens.
    pub fn verification_keys(&self) -> VerificationKeys {
        // A KeySet is never empty and its kids are unique: the set's own invariants hold.
        VerificationKeys {
            keys: self
                .keys
                .iter()
                .map(|k| VerificationKey {
                    kid: Some(k.kid.clone()),
                    key: k.public_key(),
                    position: None,
                })
                .collect(),
        }
    }
}

/// The issuer signs with EdDSA, ES256 or HS256; the other algorithms are verified only.
pub(super) fn not_a_signing_algorithm(alg: Algorithm) -> Error {
    Error::InvalidOption(format!(
        "{} is verified but never used for signing: the issuer signs with EdDSA, ES256 or HS256",
        alg.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwt_simple::prelude::{Duration, EdDSAPublicKeyLike, NoCustomClaims, VerificationOptions};

    #[test]
    fn ed25519_tokens_are_what_jwt_simple_would_sign() {
        let key = SigningKey::generate(Algorithm::EdDSA).expect("key");
        let claims = jwt_simple::prelude::Claims::create(Duration::from_secs(300))
            .with_issuer("https://issuer.test")
            .with_subject("alice");
        let token = key.sign(claims, "at+jwt").expect("signed");
        let PrivateKey::Ed25519(pair) = key.private_key() else {
            panic!("an Ed25519 key");
        };
        // ed25519-compact (jwt-simple's) makes the very same deterministic signature...
        let (input, signature) = token.rsplit_once('.').expect("three segments");
        let compact = pair.key_pair().as_ref().sk.sign(input.as_bytes(), None);
        assert_eq!(b64::encode(compact.as_slice()), signature);
        // ...and jwt-simple accepts the token, header and all.
        let options = VerificationOptions {
            required_signature_type: Some("at+jwt".into()),
            required_key_id: Some(key.kid().to_owned()),
            ..Default::default()
        };
        let verified = pair
            .public_key()
            .verify_token::<NoCustomClaims>(&token, Some(options))
            .expect("jwt-simple verifies it");
        assert_eq!(verified.subject.as_deref(), Some("alice"));
    }

    #[test]
    fn es256_tokens_are_deterministic_and_jwt_simple_accepts_them() {
        use jwt_simple::prelude::ECDSAP256PublicKeyLike;
        let key = SigningKey::generate(Algorithm::ES256).expect("key");
        let claims = jwt_simple::prelude::Claims::create(Duration::from_secs(300))
            .with_issuer("https://issuer.test")
            .with_subject("alice");
        let token = key.sign(claims.clone(), "at+jwt").expect("signed");
        // RFC 6979: the same claims make the same token, so a replay can be answered again.
        assert_eq!(key.sign(claims, "at+jwt").expect("signed"), token);
        let PrivateKey::Es256(pair) = key.private_key() else {
            panic!("an ES256 key");
        };
        let options = VerificationOptions {
            required_signature_type: Some("at+jwt".into()),
            required_key_id: Some(key.kid().to_owned()),
            ..Default::default()
        };
        let verified = pair
            .public_key()
            .verify_token::<NoCustomClaims>(&token, Some(options))
            .expect("jwt-simple verifies it");
        assert_eq!(verified.subject.as_deref(), Some("alice"));
    }
}
