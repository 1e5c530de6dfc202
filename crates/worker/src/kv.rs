//! Workers KV as a store: the revocation list's entries and the registered clients, each under
//! keys of its own. Every put carries `expiration_ttl` (at least the 60 seconds KV requires),
//! so what it holds prunes itself.

use edge_jwt_core::revocation::MIN_ENTRY_TTL;
use edge_jwt_core::{Clock, Store, StoreError};
use worker::kv::KvStore;

use crate::clock::WorkerClock;

/// Workers KV as a [`Store`] (the binding is `bindings::KV`).
pub struct Kv(pub KvStore);

impl Store for Kv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0
            .get(key)
            .text()
            .await
            .map_err(|e| StoreError(format!("KV get: {e}")))
    }

    async fn put(&self, key: &str, value: &str, expires_at: u64) -> Result<(), StoreError> {
        let ttl = expires_at
            .saturating_sub(WorkerClock.now())
            .max(MIN_ENTRY_TTL);
        self.0
            .put(key, value)
            .map_err(|e| StoreError(format!("KV put: {e}")))?
            .expiration_ttl(ttl)
            .execute()
            .await
            .map_err(|e| StoreError(format!("KV put: {e}")))
    }
}
