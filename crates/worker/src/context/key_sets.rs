//! Key sets the issuer fetches to verify what others sign (a client's `jwks_uri`, a trusted
//! identity provider's): fetched as published documents are (no redirect, a timeout, a size
//! limit), kept in this isolate within their `Cache-Control`, and fetched again once when a
//! signature does not verify with them (keys rotated since), no sooner than a cooldown.

use std::cell::RefCell;

use super::published::Kept;
use super::Ctx;
use crate::platform::Platform;

/// The largest key set read, in bytes.
const MAX_JWKS: usize = 64 * 1024;
/// How long a fetched key set is kept without a `Cache-Control` `max-age`, and at most.
const DEFAULT_KEEP: u64 = 300;
const MAX_KEEP: u64 = 3600;
/// A key set younger than this is not fetched again on a signature it does not verify (a
/// stream of bad assertions cannot make the issuer fetch on every one).
const REFETCH_COOLDOWN: u64 = 30;
const MAX_KEY_SETS: usize = 256;

/// A fetched key set: its text, and when it was fetched.
#[derive(Clone)]
struct KeptKeys {
    jwks: String,
    fetched_at: u64,
}

thread_local! {
    static KEY_SETS: RefCell<Kept<KeptKeys>> = RefCell::new(Kept::new(MAX_KEY_SETS));
}

impl<P: Platform> Ctx<'_, P> {
    /// `verify` run with the key set at `uri` (its text), fetched again once if it fails with
    /// the kept one. `Err` says why the key set could not be had, for the caller's error.
    pub(super) async fn with_remote_keys<T, E>(
        &self,
        uri: &str,
        verify: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Result<T, E>, String> {
        let kept = self.remote_keys(uri, false).await?;
        match verify(&kept.jwks) {
            Err(_) if self.now() >= kept.fetched_at + REFETCH_COOLDOWN => {
                let fresh = self.remote_keys(uri, true).await?;
                Ok(verify(&fresh.jwks))
            }
            verified => Ok(verified),
        }
    }

    /// The key set at `uri`, kept in this isolate within its `Cache-Control` (five minutes
    /// without one, an hour at most); `force` fetches it again.
    async fn remote_keys(&self, uri: &str, force: bool) -> Result<KeptKeys, String> {
        let now = self.now();
        let kept = KEY_SETS.with(|k| k.borrow().get(uri, now));
        if let Some(kept) = kept.filter(|_| !force) {
            return Ok(kept);
        }
        let published = self.fetch_published(uri, MAX_JWKS).await?;
        let jwks = String::from_utf8(published.body).map_err(|_| "not UTF-8".to_owned())?;
        let keep = match published.max_age {
            0 => DEFAULT_KEEP,
            seconds => seconds.min(MAX_KEEP),
        };
        let kept = KeptKeys {
            jwks,
            fetched_at: now,
        };
        KEY_SETS.with(|k| k.borrow_mut().keep(uri, kept.clone(), now + keep));
        Ok(kept)
    }
}
