//! The storage the core needs: a key-value store whose entries expire on their own. The
//! Worker implements it twice (a session's Durable Object for rotation state, Workers KV for
//! the revocation list); tests implement it in memory.

use std::fmt;

/// A store that could not be read or written. Whatever depended on it fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<StoreError> for crate::Error {
    fn from(e: StoreError) -> Self {
        crate::Error::StoreUnavailable(e.0)
    }
}

/// An async key-value store with an expiry on every entry.
///
/// `put` always carries `expires_at` (seconds since the epoch): nothing is stored forever.
/// Once `expires_at` has passed, `get` may return `None`; the core never relies on an entry
/// outliving its expiry, and never on it disappearing at the exact second.
#[allow(async_fn_in_trait)] // Worker futures are !Send; no Send bound is wanted.
pub trait Store {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn put(&self, key: &str, value: &str, expires_at: u64) -> Result<(), StoreError>;
}

impl<S: Store> Store for &S {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        (**self).get(key).await
    }
    async fn put(&self, key: &str, value: &str, expires_at: u64) -> Result<(), StoreError> {
        (**self).put(key, value, expires_at).await
    }
}

/// Records `key` until `until` unless it is recorded already: whether this was its first use.
/// Exact in a store that serializes its requests between the read and the write (a Durable
/// Object): a client assertion's `jti` is accepted once, everywhere.
pub async fn use_once<S: Store>(store: &S, key: &str, until: u64) -> Result<bool, StoreError> {
    if store.get(key).await?.is_some() {
        return Ok(false);
    }
    store.put(key, "1", until).await?;
    Ok(true)
}
