//! A subject's sessions and its logout-everywhere cutoff, in the subject's own store (in the
//! Worker, a Durable Object per subject, so that starting a session and logging the subject
//! out are serialized). Logging out marks every session of the subject revoked in that
//! session's own store before it returns, so that refresh tokens are refused exactly, with no
//! extra read on the refresh path; the revocation list (KV) gets one subject entry, for
//! verifiers of access tokens.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::revocation::RevocationList;
use crate::session::SessionStatus;
use crate::store::Store;

/// A subject keeps at most this many live sessions; starting one more is refused until some
/// end (the record stays small enough to read on every start).
pub const MAX_SESSIONS_PER_SUBJECT: usize = 1000;

/// A session as its subject knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub client_id: String,
    pub started_at: u64,
    pub ends_at: u64,
}

/// What a subject's store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRecord {
    /// Every token dated at or before it is refused (the latest logout-everywhere).
    pub cutoff: Option<u64>,
    /// The latest `min_iat` handed to a session: a later logout's cutoff is never earlier, so
    /// that it covers a session started between two logouts in the same second.
    pub issued_floor: u64,
    /// The sessions started and not yet ended by a logout, by `sid`.
    pub sessions: BTreeMap<String, Registration>,
}

/// How a subject reaches its sessions' stores (in the Worker, typed calls to each session's
/// Durable Object; in tests, memory).
#[allow(async_fn_in_trait)] // Worker futures are !Send; no Send bound is wanted.
pub trait SessionControl {
    /// [`crate::session::SessionRotation::end_for_subject`] on session `sid`.
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<()>;
    /// [`crate::session::SessionRotation::end`] on session `sid`.
    async fn end(&self, sid: &str) -> Result<bool>;
    /// [`crate::session::SessionRotation::status`] of session `sid`.
    async fn status(&self, sid: &str) -> Result<Option<SessionStatus>>;
}

/// One subject's sessions over the subject's store.
pub struct Subject<'a, S, C> {
    pub sub: &'a str,
    pub store: &'a S,
    pub policy: &'a Policy,
    pub clock: &'a C,
}

impl<S: Store, C: Clock> Subject<'_, S, C> {
    fn key(&self) -> String {
        format!("subject:{}", self.sub)
    }

    async fn load(&self) -> Result<SubjectRecord> {
        match self.store.get(&self.key()).await? {
            None => Ok(SubjectRecord::default()),
            Some(text) => serde_json::from_str(&text).map_err(|_| {
                Error::StoreUnavailable(format!("corrupt subject record for {}", self.sub))
            }),
        }
    }

    /// Saves the record until the last of its sessions could end, and at least as long as a
    /// cutoff matters (a token dated before it could live a session's length).
    async fn save(&self, record: &SubjectRecord, now: u64) -> Result<()> {
        let text = serde_json::to_string(record)
            .map_err(|e| Error::Internal(format!("cannot encode subject: {e}")))?;
        let last_end = record.sessions.values().map(|r| r.ends_at).max();
        let until = last_end.unwrap_or(0).max(now + self.policy.session_max) + self.policy.leeway;
        Ok(self.store.put(&self.key(), &text, until).await?)
    }

    /// Registers session `sid` before it starts; returns the `min_iat` its tokens must have
    /// (one second past a logout-everywhere of this very second).
    pub async fn register(&self, sid: &str, client_id: &str) -> Result<u64> {
        let now = self.clock.now();
        let mut record = self.load().await?;
        record.sessions.retain(|_, r| r.ends_at > now);
        if record.sessions.len() >= MAX_SESSIONS_PER_SUBJECT {
            return Err(Error::InvalidOption(format!(
                "the subject has {MAX_SESSIONS_PER_SUBJECT} live sessions, the most it may \
                 have: end some (POST /subjects/{{sub}}/revoke or .../sessions/{{sid}}/revoke)"
            )));
        }
        let min_iat = match record.cutoff {
            Some(cutoff) if cutoff >= now => cutoff + 1,
            _ => now,
        };
        record.issued_floor = record.issued_floor.max(min_iat);
        record.sessions.insert(
            sid.to_owned(),
            Registration {
                client_id: client_id.to_owned(),
                started_at: now,
                ends_at: now + self.policy.session_max,
            },
        );
        self.save(&record, now).await?;
        Ok(min_iat)
    }

    /// Logs the subject out everywhere: when this returns `Ok`, every session started before
    /// it is revoked in its own store, and the revocation list refuses every access token
    /// dated up to the returned cutoff. A failure part-way leaves the cutoff in place and the
    /// unfinished sessions listed: calling again finishes the work.
    pub async fn log_out_everywhere<K: SessionControl, R: Store>(
        &self,
        sessions: &K,
        revocations: &RevocationList<R>,
    ) -> Result<u64> {
        let now = self.clock.now();
        let mut record = self.load().await?;
        let cutoff = now.max(record.issued_floor).max(record.cutoff.unwrap_or(0));
        record.cutoff = Some(cutoff);
        // Saved before the fan-out: a session registered from here on is dated after it.
        self.save(&record, now).await?;
        let sids: Vec<String> = record.sessions.keys().cloned().collect();
        let ended = join_all(sids.iter().map(|sid| sessions.end_for_subject(sid, cutoff))).await;
        let longest = self.policy.refresh_ttl.max(self.policy.access_ttl);
        let published = revocations
            .revoke_subject(self.sub, cutoff, now, longest)
            .await;
        // Forget the sessions that are ended, even if another failed.
        let mut record = self.load().await?;
        for (sid, result) in sids.iter().zip(&ended) {
            if result.is_ok() {
                record.sessions.remove(sid);
            }
        }
        self.save(&record, now).await?;
        ended.into_iter().collect::<Result<Vec<()>>>()?;
        published?;
        Ok(cutoff)
    }

    /// The subject's live sessions, oldest first. Ended ones are forgotten on the way.
    pub async fn sessions<K: SessionControl>(&self, sessions: &K) -> Result<Vec<SessionStatus>> {
        let now = self.clock.now();
        let record = self.load().await?;
        let sids: Vec<&String> = record.sessions.keys().collect();
        let statuses = join_all(sids.iter().map(|sid| sessions.status(sid))).await;
        let mut live = Vec::new();
        let mut dead = Vec::new();
        for (sid, status) in sids.into_iter().zip(statuses) {
            match status? {
                Some(status) if status.live => live.push(status),
                // Not started yet (registered a moment ago): neither listed nor forgotten.
                None if record.sessions[sid].started_at + 60 > now => {}
                _ => dead.push(sid.clone()),
            }
        }
        if !dead.is_empty() {
            let mut record = self.load().await?;
            for sid in &dead {
                record.sessions.remove(sid);
            }
            self.save(&record, now).await?;
        }
        live.sort_by(|a, b| (a.started_at, &a.sid).cmp(&(b.started_at, &b.sid)));
        Ok(live)
    }

    /// Ends one session of the subject ("log out that device"). `SessionNotFound` when the
    /// subject has no such session.
    pub async fn end_session<K: SessionControl>(&self, sid: &str, sessions: &K) -> Result<()> {
        let now = self.clock.now();
        if !self.load().await?.sessions.contains_key(sid) {
            return Err(Error::SessionNotFound);
        }
        sessions.end(sid).await?;
        let mut record = self.load().await?;
        record.sessions.remove(sid);
        self.save(&record, now).await
    }
}
