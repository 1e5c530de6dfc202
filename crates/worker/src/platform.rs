//! What the handlers need from the runtime, as one trait: the Durable Objects (typed calls),
//! the revocation list's store, the per-address limit, the clock and the log. The Worker's is
//! `bindings::Bindings`; the handlers' tests keep everything in the core's in-memory stores.

use edge_jwt_core::{RevocationList, Store};

use crate::api::ApiError;
use crate::objects::calls::ObjectCaller;

#[allow(async_fn_in_trait)] // single-threaded Workers: no Send bound wanted
pub trait Platform: ObjectCaller {
    /// The revocation list's store (Workers KV).
    type Revocations: Store;

    /// The revocation list, its entries kept `leeway` seconds past the tokens they block.
    fn revocations(&self, leeway: u64) -> Result<RevocationList<Self::Revocations>, ApiError>;

    /// Whether one more request from `address` is within the unauthenticated endpoints' limit
    /// (always, where no limit is configured).
    async fn within_limit(&self, address: &str) -> Result<bool, ApiError>;

    /// Seconds since the epoch.
    fn now(&self) -> u64;

    /// Writes one line to the log (security events).
    fn log(&self, line: &str);
}
