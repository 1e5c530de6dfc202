//! What the issuer fetches that a client publishes (its metadata document, its key set): one
//! way to fetch it (no redirect followed, a timeout, a size limit) and one way for an isolate to
//! keep it, by URL, until a time, a bounded number of them.

use std::collections::HashMap;

use edge_jwt_core::authorization::document::cache_seconds;

use super::Ctx;
use crate::platform::Platform;

/// A body a client published, and the seconds its `Cache-Control` lets it be kept (a day at
/// most; none: 0).
pub(super) struct Published {
    pub body: Vec<u8>,
    pub max_age: u64,
}

impl<P: Platform> Ctx<'_, P> {
    /// `GET url`, answered 200 with at most `limit` bytes; otherwise why not, for the log.
    pub(super) async fn fetch_published(
        &self,
        url: &str,
        limit: usize,
    ) -> Result<Published, String> {
        let fetched =
            (self.platform.fetch_document(url, limit).await).map_err(|e| e.error_description)?;
        match fetched.status {
            200 => {}
            300..400 => return Err("it redirects, and redirects are not followed".to_owned()),
            status => return Err(format!("it answered HTTP {status}")),
        }
        if fetched.body.len() > limit {
            return Err(format!("it is over {limit} bytes"));
        }
        Ok(Published {
            max_age: cache_seconds(fetched.cache_control.as_deref()),
            body: fetched.body,
        })
    }
}

/// What an isolate keeps of what it fetched: by URL, each until a time; when full, all of it is
/// forgotten at once (it is fetched again).
pub(super) struct Kept<T> {
    entries: HashMap<String, (T, u64)>,
    capacity: usize,
}

impl<T: Clone> Kept<T> {
    pub fn new(capacity: usize) -> Self {
        Kept {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// What is kept for `url` at `now`, if it may still be.
    pub fn get(&self, url: &str, now: u64) -> Option<T> {
        let (value, until) = self.entries.get(url)?;
        (*until > now).then(|| value.clone())
    }

    pub fn keep(&mut self, url: &str, value: T, until: u64) {
        if self.entries.len() >= self.capacity {
            self.entries.clear();
        }
        self.entries.insert(url.to_owned(), (value, until));
    }
}
