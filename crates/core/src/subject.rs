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
use crate::store::Store;

/// How often a session tells its subject that it is still refreshed: a refresh does when the
/// token it presents was issued in an earlier interval ([`refresh_notice_due`]), so the subject
/// knows every session's last refresh to within one interval, at one extra call per session
/// per interval rather than per refresh.
pub fn refresh_notice_interval(policy: &Policy) -> u64 {
    (policy.refresh_ttl / 14).max(policy.access_ttl).max(1)
}

/// Whether a refresh at `now` of a refresh token issued at `iat` must tell the subject first
/// ([`Subject::refreshed`]).
pub fn refresh_notice_due(policy: &Policy, iat: u64, now: u64) -> bool {
    let interval = refresh_notice_interval(policy);
    now / interval > iat / interval
}

/// A session as its subject knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub client_id: String,
    pub started_at: u64,
    pub ends_at: u64,
    /// The latest refresh the subject was told of (its start until then). Absent in a record
    /// written before subjects were told of refreshes: such a session is kept to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<u64>,
}

impl Registration {
    /// Until when a refresh token of the session may still be presented, as far as the
    /// subject knows: never earlier than the truth, as the session tells its subject at least
    /// once an interval. Past it the session is over, its access tokens expired too.
    pub fn may_refresh_until(&self, policy: &Policy) -> u64 {
        match self.refreshed_at {
            Some(at) => (at + policy.refresh_ttl + refresh_notice_interval(policy) + policy.leeway)
                .min(self.ends_at),
            None => self.ends_at,
        }
    }

    /// When it was last refreshed, as far as the subject knows (for eviction).
    pub fn last_refreshed_at(&self) -> u64 {
        self.refreshed_at.unwrap_or(self.started_at)
    }
}

/// A session of the subject's, as listed (`GET /subjects/{sub}/sessions`), from the
/// subject's own record: `last_refreshed_at` is the latest refresh the subject was told of,
/// within one [`refresh_notice_interval`] of the truth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedSession {
    pub sid: String,
    pub client_id: String,
    pub started_at: u64,
    pub last_refreshed_at: u64,
    pub ends_at: u64,
}

/// What registering a session answers: the `min_iat` its tokens must have, and the sessions
/// evicted to make room for it, if the subject had [`Policy::max_sessions`] already (more than
/// one only when other logins of the subject ran meanwhile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    pub min_iat: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evicted: Vec<String>,
}

/// What a subject's store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRecord {
    /// Every token dated at or before it is refused (the latest logout-everywhere).
    pub cutoff: Option<u64>,
    /// The latest `min_iat` handed to a session: a later logout's cutoff is never earlier, so
    /// that it covers a session started between two logouts in the same second.
    pub issued_floor: u64,
    /// The sessions started and not yet known to be over, by `sid`.
    pub sessions: BTreeMap<String, Registration>,
}

/// How many sessions a logout-everywhere ends at once: a Worker keeps at most six
/// connections open, and each call is one.
const FAN_OUT: usize = 6;

/// How a subject reaches its sessions' stores (in the Worker, typed calls to each session's
/// Durable Object; in tests, memory).
#[allow(async_fn_in_trait)] // Worker futures are !Send; no Send bound is wanted.
pub trait SessionControl {
    /// [`crate::session::SessionRotation::end_for_subject`] on session `sid`.
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<()>;
    /// [`crate::session::SessionRotation::end`] on session `sid`.
    async fn end(&self, sid: &str) -> Result<bool>;
}

/// The `iat` a session starting at `now` must have: one second past a logout-everywhere of
/// this very second.
fn min_iat_after(cutoff: Option<u64>, now: u64) -> u64 {
    match cutoff {
        Some(cutoff) if cutoff >= now => cutoff + 1,
        _ => now,
    }
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

    /// The sessions that may still be refreshed (the others are over, access tokens and all).
    fn prune(&self, record: &mut SubjectRecord, now: u64) {
        record
            .sessions
            .retain(|_, r| r.may_refresh_until(self.policy) > now);
    }

    /// Registers session `sid` before it starts; returns the `min_iat` its tokens must have
    /// (one second past a logout-everywhere of this very second). A subject with
    /// [`Policy::max_sessions`] already ends its least recently refreshed session first, in
    /// that session's own store, so a login is never refused for old sessions.
    pub async fn register<K: SessionControl>(
        &self,
        sid: &str,
        client_id: &str,
        sessions: &K,
    ) -> Result<Registered> {
        let now = self.clock.now();
        let mut evicted = Vec::new();
        // Registered already (a code presented twice names its session twice): nothing changes.
        let known = self.load().await?;
        if known.sessions.contains_key(sid) {
            return Ok(Registered {
                min_iat: min_iat_after(known.cutoff, now),
                evicted,
            });
        }
        // Read again after each eviction: the object answers other logins while it waits on
        // the evicted session's object, and theirs count too, so the cap holds once settled.
        let mut record = loop {
            let mut record = self.load().await?;
            self.prune(&mut record, now);
            if record.sessions.len() < self.policy.max_sessions.max(1) {
                break record;
            }
            let Some(victim) = record
                .sessions
                .iter()
                .min_by_key(|(sid, r)| (r.last_refreshed_at(), *sid))
                .map(|(sid, _)| sid.clone())
            else {
                break record;
            };
            // Ended before it is forgotten: a session the subject no longer lists must be over,
            // or a later logout-everywhere would miss it.
            sessions.end(&victim).await?;
            // Forgotten now, from what the store holds after the wait (never the copy read
            // before it, which would drop a login registered meanwhile).
            let mut fresh = self.load().await?;
            self.prune(&mut fresh, now);
            fresh.sessions.remove(&victim);
            self.save(&fresh, now).await?;
            evicted.push(victim);
        };
        let min_iat = min_iat_after(record.cutoff, now);
        record.issued_floor = record.issued_floor.max(min_iat);
        record.sessions.insert(
            sid.to_owned(),
            Registration {
                client_id: client_id.to_owned(),
                started_at: now,
                ends_at: now + self.policy.session_max,
                refreshed_at: Some(now),
            },
        );
        self.save(&record, now).await?;
        Ok(Registered { min_iat, evicted })
    }

    /// Notes that session `sid` is being refreshed at `at` (called before a refresh when
    /// [`refresh_notice_due`]; a refresh that then fails only keeps the session listed
    /// longer). A session the subject no longer lists is not added back.
    pub async fn refreshed(&self, sid: &str, at: u64) -> Result<()> {
        let mut record = self.load().await?;
        let Some(registration) = record.sessions.get_mut(sid) else {
            return Ok(());
        };
        if registration.refreshed_at.is_some_and(|known| known >= at) {
            return Ok(());
        }
        registration.refreshed_at = Some(at);
        self.save(&record, self.clock.now()).await
    }

    /// Forgets session `sid`, which ended in its own store (revoked, or reuse detected).
    pub async fn forget(&self, sid: &str) -> Result<()> {
        let mut record = self.load().await?;
        if record.sessions.remove(sid).is_some() {
            self.save(&record, self.clock.now()).await?;
        }
        Ok(())
    }

    /// Logs the subject out everywhere: when this returns `Ok`, every session started before
    /// it is revoked in its own store, and the revocation list refuses every access token
    /// dated up to the returned cutoff. The cutoff is saved and published before the fan-out
    /// (it depends only on the time), so a fan-out cut short still blocks every access token;
    /// the unfinished sessions stay listed, and calling again finishes the work.
    pub async fn log_out_everywhere<K: SessionControl, R: Store>(
        &self,
        sessions: &K,
        revocations: &RevocationList<R>,
    ) -> Result<u64> {
        let now = self.clock.now();
        let mut record = self.load().await?;
        let cutoff = now.max(record.issued_floor).max(record.cutoff.unwrap_or(0));
        record.cutoff = Some(cutoff);
        self.prune(&mut record, now);
        // Saved before the fan-out: a session registered from here on is dated after it.
        self.save(&record, now).await?;
        let longest = self.policy.refresh_ttl.max(self.policy.access_ttl);
        revocations
            .revoke_subject(self.sub, cutoff, now, longest)
            .await?;
        let sids: Vec<String> = record.sessions.keys().cloned().collect();
        let mut ended = Vec::with_capacity(sids.len());
        for batch in sids.chunks(FAN_OUT) {
            ended.extend(
                join_all(
                    batch
                        .iter()
                        .map(|sid| sessions.end_for_subject(sid, cutoff)),
                )
                .await,
            );
        }
        // Forget the sessions that are ended, even if another failed.
        let mut record = self.load().await?;
        for (sid, result) in sids.iter().zip(&ended) {
            if result.is_ok() {
                record.sessions.remove(sid);
            }
        }
        self.save(&record, now).await?;
        ended.into_iter().collect::<Result<Vec<()>>>()?;
        Ok(cutoff)
    }

    /// The subject's sessions that may still be refreshed, oldest first, from its own record
    /// (no call to any session). Sessions over are forgotten on the way.
    pub async fn sessions(&self) -> Result<Vec<ListedSession>> {
        let now = self.clock.now();
        let mut record = self.load().await?;
        let before = record.sessions.len();
        self.prune(&mut record, now);
        if record.sessions.len() != before {
            self.save(&record, now).await?;
        }
        let mut listed: Vec<ListedSession> = record
            .sessions
            .into_iter()
            .map(|(sid, r)| ListedSession {
                last_refreshed_at: r.last_refreshed_at(),
                sid,
                client_id: r.client_id,
                started_at: r.started_at,
                ends_at: r.ends_at,
            })
            .collect();
        listed.sort_by(|a, b| (a.started_at, &a.sid).cmp(&(b.started_at, &b.sid)));
        Ok(listed)
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
