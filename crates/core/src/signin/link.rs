//! A session's link to the identity provider that signed its user in, for an upstream that
//! sessions follow (`follow`): the provider's refresh token, sealed under the deployment's key,
//! kept in the session's own store. At most once per notice interval a refresh asks the provider
//! again; its refusal ends the session.

use serde::{Deserialize, Serialize};

use crate::authorization::seal::{Purpose, SealKey};
use crate::error::{Error, Result};

/// Where the link is kept in the session's store.
pub const UPSTREAM_LINK_KEY: &str = "upstream-link";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamLink {
    /// The upstream's id.
    pub upstream: String,
    pub refresh_token: String,
}

impl UpstreamLink {
    pub fn seal(&self, key: &SealKey) -> Result<String> {
        key.seal(Purpose::UpstreamLink, self)
    }

    /// The link `sealed` holds; `Internal` when it is not one (another deployment's secret).
    pub fn open(key: &SealKey, sealed: &str) -> Result<Self> {
        key.open(Purpose::UpstreamLink, sealed)
            .ok_or_else(|| Error::Internal("a session's upstream link does not open".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_under_its_key_only() {
        let key = SealKey::derive(b"secret");
        let link = UpstreamLink {
            upstream: "corp".into(),
            refresh_token: "rt-1".into(),
        };
        let sealed = link.seal(&key).unwrap();
        assert!(!sealed.contains("rt-1"));
        assert_eq!(UpstreamLink::open(&key, &sealed).unwrap(), link);
        assert!(UpstreamLink::open(&SealKey::derive(b"other"), &sealed).is_err());
    }
}
