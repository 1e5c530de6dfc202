//! The issuer's settings, with the defaults the README documents.

use crate::error::{Error, Result};
use crate::verify::{DEFAULT_LEEWAY, MAX_LEEWAY};

/// How many sessions a subject keeps by default: one more evicts the least recently refreshed
/// (the subject's record stays small enough to read on every start).
pub const DEFAULT_MAX_SESSIONS: usize = 1000;

/// The longest replay window: a day, so that a copy of a refresh token stops answering a day
/// after it was superseded at the latest.
pub const MAX_REPLAY_WINDOW: u64 = 86_400;

/// Lifetimes and names every issued token follows. All durations are in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `iss` of every token, and `aud` of refresh tokens (they are for the issuer only).
    pub issuer: String,
    /// `aud` of access tokens: the resource servers that accept them.
    pub audience: String,
    /// Access-token lifetime. Default 300 (5 minutes).
    pub access_ttl: u64,
    /// Refresh-token lifetime, sliding: each rotation starts a new one. Default 14 days.
    pub refresh_ttl: u64,
    /// A session's absolute end, from its start: no rotation goes past it. Default 30 days.
    pub session_max: u64,
    /// How long a used refresh token still answers with its successor (concurrent tabs,
    /// retries) before presenting it counts as reuse. Default 10.
    pub reuse_grace: u64,
    /// How long a code-flow session's superseded refresh token still answers its current
    /// pair (a client's processes sharing one stored token), unless its client sets its own.
    /// Sessions a trusted back end starts have none. Default 1800 (30 minutes).
    pub flow_replay_window: u64,
    /// Clock leeway when verifying. Default 30.
    pub leeway: u64,
    /// The most sessions a subject keeps: one more ends the least recently refreshed.
    /// Default 1000.
    pub max_sessions: usize,
}

impl Policy {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Policy {
            issuer: issuer.into(),
            audience: audience.into(),
            access_ttl: 300,
            refresh_ttl: 14 * 86_400,
            session_max: 30 * 86_400,
            reuse_grace: 10,
            flow_replay_window: 1800,
            leeway: DEFAULT_LEEWAY,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    /// Refuses settings that would weaken the rules (an access token outliving its refresh
    /// token, a grace window as long as a token's life...).
    pub fn validate(&self) -> Result<()> {
        let fail = |why: &str| Err(Error::InvalidOption(why.to_owned()));
        if self.issuer.is_empty() || self.audience.is_empty() {
            return fail("issuer and audience must not be empty");
        }
        if self.access_ttl == 0 || self.access_ttl > self.refresh_ttl {
            return fail("access_ttl must be positive and at most refresh_ttl");
        }
        if self.refresh_ttl > self.session_max {
            return fail("refresh_ttl must be at most session_max");
        }
        if self.leeway > MAX_LEEWAY {
            return fail("leeway must be at most 300 seconds");
        }
        if self.max_sessions == 0 {
            return fail("max_sessions must be at least 1");
        }
        if self.reuse_grace > 300 || self.reuse_grace >= self.access_ttl {
            return fail("reuse_grace must be at most 300 seconds and under access_ttl");
        }
        if self.flow_replay_window > MAX_REPLAY_WINDOW {
            return fail("flow_replay_window must be at most 86400 seconds (a day)");
        }
        Ok(())
    }

    /// The `iat` of a token issued at `now`: one second after a subject's "revoked before"
    /// time when that falls in this very second, so that a session started just after a
    /// logout-everywhere is not caught by it (`iat` has whole seconds only).
    pub fn issued_at(&self, now: u64, subject_revoked_before: Option<u64>) -> u64 {
        match subject_revoked_before {
            Some(before) if before >= now => before + 1,
            _ => now,
        }
    }
}
