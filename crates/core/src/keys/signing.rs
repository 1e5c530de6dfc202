//! Private (signing) keys and the issuer's key set: the first key signs, every key verifies.

use jwt_simple::prelude::{
    ECDSAP256KeyPairLike, ES256KeyPair, Ed25519KeyPair, EdDSAKeyPairLike, HS256Key, HeaderOptions,
    JWTClaims, MACLike,
};
use serde::Serialize;

use super::verifying::HmacSecret;
use super::{Algorithm, PublicKey, VerificationKey, VerificationKeys};
use crate::error::{Error, Result};

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
}

impl SigningKey {
    pub fn new(kid: impl Into<String>, key: PrivateKey) -> Result<Self> {
        let kid = kid.into();
        if kid.is_empty() {
            return Err(Error::JwksInvalid(
                "a signing key needs a non-empty kid".into(),
            ));
        }
        let (key, public) = match key {
            PrivateKey::Ed25519(k) => {
                let public = PublicKey::ed25519(k.key_pair().as_ref().pk.as_slice())?;
                (PrivateKey::Ed25519(k.with_key_id(&kid)), public)
            }
            PrivateKey::Es256(k) => {
                let public = PublicKey::Es256(*k.key_pair().public_key().as_ref());
                (PrivateKey::Es256(k.with_key_id(&kid)), public)
            }
            // At least 32 bytes by construction (generate, or JWKS import).
            PrivateKey::Hs256(k) => {
                let public = PublicKey::Hs256(HmacSecret::from_trusted(k.to_bytes()));
                (PrivateKey::Hs256(k.with_key_id(&kid)), public)
            }
        };
        Ok(SigningKey { kid, key, public })
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

    /// Signs `claims` as a compact JWS with header `alg`, `kid` and `typ`.
    pub fn sign<C: Serialize>(&self, claims: JWTClaims<C>, typ: &str) -> Result<String> {
        let options = HeaderOptions {
            signature_type: Some(typ.to_owned()),
            ..Default::default()
        };
        match &self.key {
            PrivateKey::Ed25519(k) => k.sign_with_options(claims, &options),
            PrivateKey::Es256(k) => k.sign_with_options(claims, &options),
            PrivateKey::Hs256(k) => k.authenticate_with_options(claims, &options),
        }
        .map_err(|e| Error::InvalidOption(format!("signing with kid \"{}\": {e}", self.kid)))
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
        super::check_key_set(keys.iter().map(|k| Some(k.kid.as_str())))?;
        Ok(KeySet { keys })
    }

    /// The key that signs new tokens.
    pub fn signer(&self) -> &SigningKey {
        // `new` guarantees at least one key.
        &self.keys[0]
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
