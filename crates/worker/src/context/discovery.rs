//! An identity provider's metadata (OpenID Connect Discovery §4, RFC 8414 §3), for the upstreams
//! users sign in with and the issuers whose assertions the JWT bearer grant takes: fetched as
//! published documents are, its `issuer` the one asked for, kept in this isolate within its
//! `Cache-Control` (an hour without one, a day at most).

use std::cell::RefCell;

use serde::Deserialize;

use super::published::Kept;
use super::Ctx;
use crate::platform::Platform;

/// The largest metadata document read, in bytes.
const MAX_METADATA: usize = 64 * 1024;
const DEFAULT_KEEP: u64 = 3600;
const MAX_KEEP: u64 = 86_400;

/// OpenID Connect Discovery's well-known path, then RFC 8414's.
pub(super) const OPENID: &str = "openid-configuration";
pub(super) const OAUTH: &str = "oauth-authorization-server";

/// What the issuer reads of a provider's metadata: each consumer requires what it uses.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ProviderMetadata {
    pub issuer: String,
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

thread_local! {
    static DISCOVERED: RefCell<Kept<ProviderMetadata>> = RefCell::new(Kept::new(64));
}

impl<P: Platform> Ctx<'_, P> {
    /// `issuer`'s metadata at the first of `well_known` that answers; why not, naming each URL
    /// tried, otherwise.
    pub(super) async fn discover(
        &self,
        issuer: &str,
        well_known: &[&str],
    ) -> Result<ProviderMetadata, String> {
        let now = self.now();
        let key = format!("{issuer} {}", well_known.join(" "));
        if let Some(kept) = DISCOVERED.with(|d| d.borrow().get(&key, now)) {
            return Ok(kept);
        }
        let base = issuer.trim_end_matches('/');
        let mut failures = Vec::new();
        for path in well_known {
            let url = format!("{base}/.well-known/{path}");
            let published = match self.fetch_published(&url, MAX_METADATA).await {
                Ok(published) => published,
                Err(why) => {
                    failures.push(format!("{url}: {why}"));
                    continue;
                }
            };
            let metadata: ProviderMetadata = serde_json::from_slice(&published.body)
                .map_err(|_| format!("{url}: not provider metadata"))?;
            if metadata.issuer != issuer {
                return Err(format!("{url}: it names issuer {:?}", metadata.issuer));
            }
            let keep = match published.max_age {
                0 => DEFAULT_KEEP,
                seconds => seconds.min(MAX_KEEP),
            };
            DISCOVERED.with(|d| d.borrow_mut().keep(&key, metadata.clone(), now + keep));
            return Ok(metadata);
        }
        Err(failures.join("; "))
    }
}
