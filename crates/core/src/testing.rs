//! Test support: a clock moved by hand and an in-memory store with expiry. Compiled only for
//! tests (`cfg(test)` or the `testing` feature), never into the Worker or the npm package.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::clock::Clock;
use crate::error::Error;
use crate::issuer::TokenIssuer;
use crate::revocation::RevocationList;
use crate::session::SessionRotation;
use crate::store::{Store, StoreError};
use crate::subject::SessionControl;

/// Claims to sign exactly as given, the registered ones included (`iss`, `exp`...), so a test
/// may drop or bend any of them.
pub fn raw_claims(
    custom: serde_json::Map<String, serde_json::Value>,
) -> jwt_simple::prelude::JWTClaims<serde_json::Map<String, serde_json::Value>> {
    jwt_simple::prelude::JWTClaims {
        issued_at: None,
        expires_at: None,
        invalid_before: None,
        issuer: None,
        subject: None,
        audiences: None,
        jwt_id: None,
        nonce: None,
        custom,
    }
}

/// An identity provider's signing key for tests (an OpenID provider's ID tokens, an IdP's
/// ID-JAGs): one fresh EdDSA key, the key set it publishes, and claims signed with it.
pub struct ProviderKeys(crate::keys::KeySet);

impl ProviderKeys {
    pub fn new() -> Self {
        let key =
            crate::keys::SigningKey::generate(crate::keys::Algorithm::EdDSA).expect("an EdDSA key");
        ProviderKeys(crate::keys::KeySet::new(vec![key]).expect("a key set of one key"))
    }

    /// The key set it publishes, as a JSON value.
    pub fn public_jwks(&self) -> serde_json::Value {
        self.0.public_jwks()
    }

    /// The key set it publishes, as JSON text.
    pub fn jwks(&self) -> String {
        self.public_jwks().to_string()
    }

    /// `claims` signed with its key, under `typ`.
    pub fn sign(
        &self,
        claims: jwt_simple::prelude::JWTClaims<serde_json::Map<String, serde_json::Value>>,
        typ: &str,
    ) -> String {
        self.0
            .signer()
            .sign(claims, typ)
            .expect("claims it can sign")
    }
}

impl Default for ProviderKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// A clock that stands still until moved. Clones share the same time.
#[derive(Debug, Clone)]
pub struct FixedClock(Rc<Cell<u64>>);

impl FixedClock {
    pub fn at(now: u64) -> Self {
        FixedClock(Rc::new(Cell::new(now)))
    }
    pub fn set(&self, now: u64) {
        self.0.set(now)
    }
    pub fn advance(&self, seconds: u64) {
        self.0.set(self.0.get() + seconds)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0.get()
    }
}

/// An in-memory [`Store`] that drops entries once their expiry has passed (by its clock),
/// records every write, and can be made to fail.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    clock: FixedClock,
    entries: Rc<RefCell<BTreeMap<String, (String, u64)>>>,
    writes: Rc<RefCell<Vec<(String, u64, u64)>>>,
    failing: Rc<Cell<bool>>,
}

impl MemoryStore {
    pub fn new(clock: FixedClock) -> Self {
        MemoryStore {
            clock,
            entries: Rc::default(),
            writes: Rc::default(),
            failing: Rc::default(),
        }
    }

    /// A deep copy with its own entries, on `clock`, to try something without changing this
    /// store.
    pub fn fork(&self, clock: FixedClock) -> Self {
        MemoryStore {
            clock,
            entries: Rc::new(RefCell::new(self.entries.borrow().clone())),
            writes: Rc::new(RefCell::new(self.writes.borrow().clone())),
            failing: Rc::new(Cell::new(self.failing.get())),
        }
    }

    /// Every write so far: key, the time of the write, and the expiry asked for.
    pub fn writes(&self) -> Vec<(String, u64, u64)> {
        self.writes.borrow().clone()
    }

    /// Unexpired entries: key, value, expiry.
    pub fn entries(&self) -> Vec<(String, String, u64)> {
        let now = self.clock.now();
        self.entries
            .borrow()
            .iter()
            .filter(|(_, (_, exp))| *exp > now)
            .map(|(k, (v, exp))| (k.clone(), v.clone(), *exp))
            .collect()
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.set(failing)
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() {
            Err(StoreError("memory store set to fail".into()))
        } else {
            Ok(())
        }
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.check()?;
        let now = self.clock.now();
        Ok(self
            .entries
            .borrow()
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &str, expires_at: u64) -> Result<(), StoreError> {
        self.check()?;
        let now = self.clock.now();
        self.writes
            .borrow_mut()
            .push((key.to_owned(), now, expires_at));
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), (value.to_owned(), expires_at));
        Ok(())
    }
}

/// Every session's store in memory, reached by `sid` as a subject reaches them: the in-memory
/// [`SessionControl`] (the Worker's is a typed call to each session's Durable Object). One
/// store holds every session: the keys of a session's entries all name the session.
pub struct MemorySessions<'a> {
    pub issuer: &'a TokenIssuer,
    pub store: &'a MemoryStore,
    pub revocations: &'a RevocationList<MemoryStore>,
    pub clock: &'a FixedClock,
}

impl MemorySessions<'_> {
    /// The rotation rules over the sessions' store.
    pub fn rotation(&self) -> SessionRotation<'_, MemoryStore, MemoryStore, FixedClock> {
        SessionRotation {
            issuer: self.issuer,
            store: self.store,
            revocations: self.revocations,
            clock: self.clock,
        }
    }
}

impl SessionControl for MemorySessions<'_> {
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<(), Error> {
        self.rotation().end_for_subject(sid, cutoff).await
    }

    async fn end(&self, sid: &str) -> Result<bool, Error> {
        self.rotation().end(sid).await
    }
}
