//! A session's rotation state: which refresh token is live, and the grant it replaced (for the
//! grace window). One record per session, stored with an expiry at the session's end. It never
//! holds a token: only the ids and times from which the issuer signs the same tokens again.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::issuer::{Grant, SessionClaims};
use crate::store::Store;

/// The last rotation: the refresh token it consumed and the grant it answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// `jti` of the consumed refresh token.
    pub jti: String,
    /// When it was consumed (seconds).
    pub at: u64,
    /// The pair it was answered with, answered again within the grace window.
    pub grant: Grant,
}

/// A refresh token a rotation consumed, remembered while the replay window keeps it answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Superseded {
    pub jti: String,
    /// When it was superseded (seconds).
    pub at: u64,
}

/// The most superseded tokens a record keeps: an older one presented is reuse, as after the
/// window. Bounds the record however often the session's processes refresh.
pub const MAX_SUPERSEDED: usize = 32;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// What every token of the session carries (stored flat, beside the rotation state).
    #[serde(flatten)]
    pub session: SessionClaims,
    pub started_at: u64,
    /// No token of the session is dated earlier: one second after the subject's latest
    /// logout-everywhere when the session started in that very second.
    pub min_iat: u64,
    /// The live grant: its refresh token is the one live refresh token.
    pub current: Grant,
    pub previous: Option<Rotation>,
    /// How long a superseded refresh token still answers the session's current pair (several
    /// processes of one client sharing a stored token); 0: strict, only the grace window.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replay_window: u64,
    /// The refresh tokens superseded within the replay window, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<Superseded>,
    /// Bound to a key by a refresh's proof rather than at its start: the key may be a
    /// thief's who refreshed first, so a used refresh token presented without it is reuse.
    #[serde(default)]
    pub bound_late: bool,
    /// When the session last rotated (its start until then).
    pub last_refreshed_at: u64,
    /// Set on logout, on reuse, or by the subject's logout-everywhere; kept until `ends_at`
    /// so the session stays refused.
    pub revoked: bool,
    /// Whether the revocation list (KV) blocks the session's access tokens yet. A revocation
    /// is marked here first, then published; a failed publish is retried by the next request.
    pub published: bool,
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
            .map_err(|e| Error::Internal(format!("cannot encode session: {e}")))?;
        Ok(store
            .put(
                &Self::store_key(&self.session.sid),
                &text,
                self.session.ends_at + leeway,
            )
            .await?)
    }

    /// Remembers `jti`, consumed at `now`, for the replay window, and forgets what has left it.
    pub fn supersede(&mut self, jti: &str, now: u64) {
        if self.replay_window == 0 {
            return;
        }
        let window = self.replay_window;
        self.superseded.retain(|s| now <= s.at + window);
        self.superseded.push(Superseded {
            jti: jti.to_owned(),
            at: now,
        });
        let excess = self.superseded.len().saturating_sub(MAX_SUPERSEDED);
        self.superseded.drain(..excess);
    }

    /// Whether `jti` was superseded within the replay window.
    pub fn replayable(&self, jti: &str, now: u64) -> bool {
        (self.superseded.iter()).any(|s| s.jti == jti && now <= s.at + self.replay_window)
    }

    /// The time the next token of the session is dated.
    pub fn issued_at(&self, now: u64) -> u64 {
        now.max(self.min_iat)
    }
}
