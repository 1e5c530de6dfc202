//! Helpers shared by the core's integration tests: fixed keys, a test issuer, raw signing of
//! arbitrary (hostile) headers and payloads.
#![allow(dead_code)]

use edge_jwt_core::jose::b64;
use edge_jwt_core::keys::{PrivateKey, SigningKey};
use edge_jwt_core::revocation::RevocationList;
use edge_jwt_core::testing::{FixedClock, MemoryStore};
use edge_jwt_core::{Algorithm, KeySet, Policy, Sessions, TokenIssuer};
use jwt_simple::prelude::{EdDSAKeyPairLike, MACLike};
use serde_json::Value;

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "https://api.test";
/// 2026-01-01T00:00:00Z
pub const T0: u64 = 1_767_225_600;

pub fn policy() -> Policy {
    Policy::new(ISSUER, AUDIENCE)
}

pub fn issuer_with(alg: Algorithm) -> TokenIssuer {
    let keys = KeySet::new(vec![SigningKey::generate(alg).expect("key")]).expect("set");
    TokenIssuer::new(keys, policy()).expect("issuer")
}

pub fn issuer() -> TokenIssuer {
    issuer_with(Algorithm::EdDSA)
}

/// Signs `header` and `payload` (raw bytes, any content) with `key`, whatever the header says.
pub fn sign_raw(key: &SigningKey, header: &Value, payload: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(payload)
    );
    let signature = match key.private_key() {
        PrivateKey::Ed25519(k) => k
            .key_pair()
            .as_ref()
            .sk
            .sign(signing_input.as_bytes(), None)
            .to_vec(),
        PrivateKey::Es256(_) => panic!("the tests sign raw tokens with EdDSA and HS256 only"),
        PrivateKey::Hs256(k) => k.authentication_tag(signing_input.as_bytes()),
    };
    format!("{signing_input}.{}", b64::encode(&signature))
}

/// A session store, a revocation store and a clock, all in memory.
pub struct World {
    pub issuer: TokenIssuer,
    pub clock: FixedClock,
    pub sessions: MemoryStore,
    pub revocations: RevocationList<MemoryStore>,
}

impl World {
    pub fn new() -> Self {
        let clock = FixedClock::at(T0);
        let issuer = issuer();
        World {
            revocations: RevocationList::new(
                MemoryStore::new(clock.clone()),
                issuer.policy().leeway,
            ),
            sessions: MemoryStore::new(clock.clone()),
            issuer,
            clock,
        }
    }

    pub fn sessions(&self) -> Sessions<'_, MemoryStore, MemoryStore, FixedClock> {
        Sessions {
            issuer: &self.issuer,
            sessions: &self.sessions,
            revocations: &self.revocations,
            clock: &self.clock,
        }
    }
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}
