//! What the handlers need from the runtime, as one trait: the Durable Objects (typed calls),
//! KV (the revocation list's and the registered clients' store), the per-address limit, the
//! clock and the log. The Worker's is
//! `bindings::Bindings`; the handlers' tests keep everything in the core's in-memory stores.

use edge_jwt_core::Store;

use crate::api::ApiError;
use crate::calls::ObjectCaller;

#[allow(async_fn_in_trait)] // single-threaded Workers: no Send bound wanted
pub trait Platform: ObjectCaller {
    /// Workers KV: the revocation list's entries and the registered clients.
    type Kv: Store;

    /// KV, as a store.
    fn kv(&self) -> Result<Self::Kv, ApiError>;

    /// Whether one more request from `address` is within the unauthenticated endpoints' limit
    /// (always, where no limit is configured).
    async fn within_limit(&self, address: &str) -> Result<bool, ApiError>;

    /// Sends `request` to another server (a client's metadata document or key set, an identity
    /// provider's endpoints): no redirect followed, a timeout, at most `limit` bytes of body
    /// read (one more tells it was longer).
    async fn fetch(&self, request: &Outgoing, limit: usize) -> Result<FetchedDocument, ApiError>;

    /// `GET url`, as [`Platform::fetch`] sends it.
    async fn fetch_document(&self, url: &str, limit: usize) -> Result<FetchedDocument, ApiError> {
        self.fetch(&Outgoing::get(url), limit).await
    }

    /// Seconds since the epoch.
    fn now(&self) -> u64;

    /// Writes one line to the log (security events).
    fn log(&self, line: &str);

    /// Forgets this isolate's copy of the key ring (managed keys), after moving the ring: the
    /// next request reads it again.
    fn forget_key_ring(&self) {}
}

/// A request to another server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `GET` or `POST`.
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// A form (`application/x-www-form-urlencoded`), for a `POST`.
    pub form: Option<String>,
}

impl Outgoing {
    pub fn get(url: &str) -> Self {
        Outgoing {
            method: "GET",
            url: url.to_owned(),
            headers: Vec::new(),
            form: None,
        }
    }

    pub fn post_form(url: &str, form: String) -> Self {
        Outgoing {
            method: "POST",
            url: url.to_owned(),
            headers: Vec::new(),
            form: Some(form),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A fetched document: its status, its body (cut at the limit plus one byte), its
/// `Cache-Control`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchedDocument {
    pub status: u16,
    pub body: Vec<u8>,
    pub cache_control: Option<String>,
}
