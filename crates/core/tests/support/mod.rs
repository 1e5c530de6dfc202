//! Helpers shared by the core's integration tests: fixed keys, a test issuer, raw signing of
//! arbitrary (hostile) headers and payloads, and the issuer's stores in memory.
#![allow(dead_code)]

use edge_jwt_core::claims::AccessClaims;
use edge_jwt_core::issuer::RevocationTarget;
use edge_jwt_core::jose::b64;
use edge_jwt_core::keys::{PrivateKey, SigningKey};
use edge_jwt_core::revocation::RevocationList;
use edge_jwt_core::session::SessionRotation;
use edge_jwt_core::subject::refresh_notice_due;
use edge_jwt_core::testing::{FixedClock, MemorySessions, MemoryStore};
use edge_jwt_core::{
    Algorithm, Clock, Error, KeySet, NewSession, Policy, RefreshClaims, Subject, TokenIssuer,
    TokenPair,
};
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
    sign_input(key, &signing_input)
}

/// Appends `key`'s signature of `signing_input` (`header.payload`): a compact JWS.
pub fn sign_input(key: &SigningKey, signing_input: &str) -> String {
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

/// The issuer's three stores in memory (every session's, every subject's, the revocation
/// list) and a clock: what the Worker's objects and KV hold, for the core's rules.
pub struct World {
    pub issuer: TokenIssuer,
    pub clock: FixedClock,
    pub sessions: MemoryStore,
    pub subjects: MemoryStore,
    pub revocations: RevocationList<MemoryStore>,
    /// The revocation list's store (KV), for what the tests read of it.
    pub kv: MemoryStore,
}

impl World {
    pub fn new() -> Self {
        Self::with_issuer(issuer())
    }

    pub fn with_issuer(issuer: TokenIssuer) -> Self {
        let clock = FixedClock::at(T0);
        let kv = MemoryStore::new(clock.clone());
        World {
            revocations: RevocationList::new(kv.clone(), issuer.policy().leeway),
            kv,
            sessions: MemoryStore::new(clock.clone()),
            subjects: MemoryStore::new(clock.clone()),
            issuer,
            clock,
        }
    }

    /// A copy of every store on `clock`, to try something without changing this world.
    pub fn fork(&self, clock: FixedClock) -> World {
        let kv = self.kv.fork(clock.clone());
        World {
            issuer: TokenIssuer::new(
                KeySet::from_jwks(&self.issuer.keys().private_jwks().to_string()).expect("keys"),
                self.issuer.policy().clone(),
            )
            .expect("issuer"),
            sessions: self.sessions.fork(clock.clone()),
            subjects: self.subjects.fork(clock.clone()),
            revocations: RevocationList::new(kv.clone(), self.issuer.policy().leeway),
            kv,
            clock,
        }
    }

    pub fn sessions(&self) -> Deployment<'_> {
        Deployment { w: self }
    }
}

/// What the Worker does with the core per request, over the world's stores.
pub struct Deployment<'w> {
    w: &'w World,
}

impl Deployment<'_> {
    pub fn rotation(&self) -> SessionRotation<'_, MemoryStore, MemoryStore, FixedClock> {
        SessionRotation {
            issuer: &self.w.issuer,
            store: &self.w.sessions,
            revocations: &self.w.revocations,
            clock: &self.w.clock,
        }
    }

    pub fn control(&self) -> MemorySessions<'_> {
        MemorySessions {
            issuer: &self.w.issuer,
            store: &self.w.sessions,
            revocations: &self.w.revocations,
            clock: &self.w.clock,
        }
    }

    pub fn subject<'s>(&'s self, sub: &'s str) -> Subject<'s, MemoryStore, FixedClock> {
        Subject {
            sub,
            store: &self.w.subjects,
            policy: self.w.issuer.policy(),
            clock: &self.w.clock,
        }
    }

    /// `POST /sessions`: the subject registers the session, then the session starts.
    pub async fn start(&self, sid: &str, request: NewSession) -> Result<TokenPair, Error> {
        let registered = self
            .subject(&request.sub)
            .register(sid, &request.client_id, &self.control())
            .await?;
        self.rotation()
            .start(sid, request, registered.min_iat)
            .await
    }

    /// `POST /token`.
    pub async fn refresh(&self, token: &str) -> Result<TokenPair, Error> {
        let claims = self.w.issuer.verify_refresh(token, self.w.clock.now())?;
        self.refresh_verified(&claims).await
    }

    /// The subject is told first when due, and forgets the session when reuse ended it.
    pub async fn refresh_verified(&self, claims: &RefreshClaims) -> Result<TokenPair, Error> {
        let now = self.w.clock.now();
        let subject = self.subject(&claims.sub);
        if refresh_notice_due(self.w.issuer.policy(), claims.iat, now) {
            subject.refreshed(&claims.sid, now).await?;
        }
        let refreshed = self.rotation().refresh(claims).await;
        if refreshed == Err(Error::RefreshTokenReused) {
            subject.forget(&claims.sid).await?;
        }
        refreshed
    }

    /// `POST /revoke` (RFC 7009).
    pub async fn revoke(&self, token: &str) -> Result<(), Error> {
        match self.w.issuer.revocation_target(token, self.w.clock.now()) {
            Some(RevocationTarget::Token(claims)) => self
                .rotation()
                .revoke_token(&claims.jti, claims.exp)
                .await
                .map(|_| ()),
            Some(RevocationTarget::Session(claims)) => {
                self.rotation().end(&claims.sid).await?;
                self.subject(&claims.sub).forget(&claims.sid).await
            }
            None => Ok(()),
        }
    }

    /// `POST /subjects/{sub}/revoke`.
    pub async fn revoke_subject(&self, sub: &str) -> Result<u64, Error> {
        self.subject(sub)
            .log_out_everywhere(&self.control(), &self.w.revocations)
            .await
    }

    /// A resource server checking an access token against the revocation list.
    pub async fn check_access(&self, token: &str) -> Result<AccessClaims, Error> {
        let claims = self.w.issuer.verify_access(token, self.w.clock.now())?;
        self.w.revocations.check(claims.ids()).await?;
        Ok(claims)
    }
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}
