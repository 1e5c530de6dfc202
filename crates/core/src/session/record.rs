//! A session's rotation state: which refresh token is live, and the one it replaced (for the
//! grace window). One record per session, stored with an expiry at the session's end.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::store::Store;

/// The last rotation: the refresh token it consumed and the one it returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// `jti` of the consumed refresh token.
    pub jti: String,
    /// When it was consumed (seconds).
    pub at: u64,
    /// The refresh token that replaced it, handed out again within the grace window.
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub sid: String,
    pub sub: String,
    pub client_id: String,
    pub scope: Option<String>,
    /// Custom claims copied into every access token of the session.
    pub claims: Map<String, Value>,
    pub started_at: u64,
    /// The absolute end: no token of the session is valid past it.
    pub ends_at: u64,
    /// `jti` of the one live refresh token.
    pub current_jti: String,
    pub previous: Option<Rotation>,
    /// Set on logout or reuse; kept until `ends_at` so the session stays refused.
    pub revoked: bool,
}

impl SessionRecord {
    pub fn store_key(sid: &str) -> String {
        format!("session:{sid}")
    }

    pub async fn load<S: Store>(store: &S, sid: &str) -> Result<Option<Self>> {
        match store.get(&Self::store_key(sid)).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| Error::StoreUnavailable(format!("corrupt session record for {sid}"))),
        }
    }

    /// Saves the record; it expires at the session's end plus `leeway`.
    pub async fn save<S: Store>(&self, store: &S, leeway: u64) -> Result<()> {
        let text = serde_json::to_string(self)
            .map_err(|e| Error::StoreUnavailable(format!("cannot encode session: {e}")))?;
        Ok(store
            .put(&Self::store_key(&self.sid), &text, self.ends_at + leeway)
            .await?)
    }
}
