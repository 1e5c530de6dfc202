//! The revocation list: one entry per revoked token (`jti`), session (`sid`) or subject ("revoked
//! before" time), each expiring when what it blocks would have expired anyway, so the list
//! prunes itself. Lives in Workers KV in production; any [`Store`] here.

use crate::error::{Error, Result, RevokedBy};
use crate::store::Store;

/// Workers KV refuses an expiry less than 60 seconds away; no entry asks for less.
pub const MIN_ENTRY_TTL: u64 = 60;

pub use crate::claims::TokenIds;

#[derive(Debug, Clone)]
pub struct RevocationList<S> {
    store: S,
    leeway: u64,
}

impl<S: Store> RevocationList<S> {
    /// `leeway` is the verifiers' clock leeway: an entry outlives what it blocks by that much.
    pub fn new(store: S, leeway: u64) -> Self {
        RevocationList { store, leeway }
    }

    /// When an entry blocking something valid until `blocks_until` may go.
    pub fn entry_expiry(&self, blocks_until: u64, now: u64) -> u64 {
        (blocks_until + self.leeway).max(now + MIN_ENTRY_TTL)
    }

    /// Revokes one token by its `jti`, until its `exp` has passed.
    pub async fn revoke_token(&self, jti: &str, exp: u64, now: u64) -> Result<()> {
        let expires_at = self.entry_expiry(exp, now);
        Ok(self.store.put(&token_key(jti), "1", expires_at).await?)
    }

    /// Revokes a session and every token in it, until the session's absolute end.
    pub async fn revoke_session(&self, sid: &str, session_end: u64, now: u64) -> Result<()> {
        let expires_at = self.entry_expiry(session_end, now);
        Ok(self.store.put(&session_key(sid), "1", expires_at).await?)
    }

    /// Logs a subject out for verifiers of access tokens: every token dated at or before
    /// `cutoff` is refused. The subject's own object decides the cutoff (it only moves
    /// forward) and ends the subject's sessions; this entry is what edge verifiers read. It
    /// lasts as long as a token dated before the cutoff could (`longest_lifetime`).
    pub async fn revoke_subject(
        &self,
        sub: &str,
        cutoff: u64,
        now: u64,
        longest_lifetime: u64,
    ) -> Result<()> {
        let expires_at = self.entry_expiry(cutoff + longest_lifetime, now);
        Ok(self
            .store
            .put(&subject_key(sub), &cutoff.to_string(), expires_at)
            .await?)
    }

    /// Whether signing key `kid` was revoked ([`RevocationList::revoke_key`]).
    pub async fn key_revoked(&self, kid: &str) -> Result<bool> {
        Ok(self.store.get(&key_key(kid)).await?.is_some())
    }

    /// Fails with `Revoked(Key)` if the key a token was verified with (`ids.kid`) was revoked:
    /// for a refresh token, whose session, not this list, decides the rest. Fails closed.
    pub async fn check_key(&self, ids: TokenIds<'_>) -> Result<()> {
        match ids.kid {
            Some(kid) if self.key_revoked(kid).await? => Err(Error::Revoked(RevokedBy::Key)),
            _ => Ok(()),
        }
    }

    /// The subject's "revoked before" time, if it was logged out everywhere.
    pub async fn subject_revoked_before(&self, sub: &str) -> Result<Option<u64>> {
        let value = self.store.get(&subject_key(sub)).await?;
        cutoff_of(sub, value)
    }

    /// Fails with `Revoked` if the token, its session or its subject is revoked; fails closed
    /// with `StoreUnavailable` if the store cannot answer. Returns the subject's "revoked
    /// before" time, which the issuer needs to date new tokens.
    ///
    /// The entries are read at once (one round trip of latency, not three); their answers are
    /// then judged in a fixed order, so the outcome is the same as reading them one after the
    /// other.
    pub async fn check(&self, ids: TokenIds<'_>) -> Result<Option<u64>> {
        let keys = entry_keys(ids);
        let values =
            futures_util::future::join_all(keys.iter().map(|key| self.store.get(key))).await;
        judge(ids, values)
    }

    /// Revokes a signing key: every token it signed is refused by the verifiers that read this
    /// list, until `blocks_until` (the last refresh token it signed may be presented).
    pub async fn revoke_key(&self, kid: &str, blocks_until: u64, now: u64) -> Result<()> {
        let expires_at = self.entry_expiry(blocks_until, now);
        Ok(self.store.put(&key_key(kid), "1", expires_at).await?)
    }
}

/// The entries that decide whether a token is revoked: its `jti`'s, its session's, its
/// subject's and, when the verifier saw the header's `kid`, its signing key's, in the order
/// [`judge`] takes what they hold. For a verifier that reads them itself
/// ([`RevocationList::check`] reads them through its store).
pub fn entry_keys(ids: TokenIds<'_>) -> Vec<String> {
    let mut keys = vec![
        token_key(ids.jti),
        session_key(ids.sid),
        subject_key(ids.sub),
    ];
    keys.extend(ids.kid.map(key_key));
    keys
}

fn token_key(jti: &str) -> String {
    format!("revoked:jti:{jti}")
}
fn session_key(sid: &str) -> String {
    format!("revoked:sid:{sid}")
}
fn subject_key(sub: &str) -> String {
    format!("revoked:sub:{sub}")
}
fn key_key(kid: &str) -> String {
    format!("revoked:kid:{kid}")
}

/// What the [`entry_keys`] held (or why one could not be read), in their order, judged in a
/// fixed order: `Revoked` if the token, its session, its subject or its signing key is
/// revoked; `StoreUnavailable` (fail closed) if an entry that decides could not be read, or is
/// missing. Returns the subject's "revoked before" time.
pub fn judge<E: Into<Error>>(
    ids: TokenIds<'_>,
    values: impl IntoIterator<Item = std::result::Result<Option<String>, E>>,
) -> Result<Option<u64>> {
    let mut values = values.into_iter();
    let mut next = || -> Result<Option<String>> {
        values
            .next()
            .ok_or_else(|| Error::StoreUnavailable("a revocation entry was not read".into()))?
            .map_err(Into::into)
    };
    if next()?.is_some() {
        return Err(Error::Revoked(RevokedBy::Token));
    }
    if next()?.is_some() {
        return Err(Error::Revoked(RevokedBy::Session));
    }
    let before = cutoff_of(ids.sub, next()?)?;
    if before.is_some_and(|before| ids.iat <= before) {
        return Err(Error::Revoked(RevokedBy::Subject));
    }
    if ids.kid.is_some() && next()?.is_some() {
        return Err(Error::Revoked(RevokedBy::Key));
    }
    Ok(before)
}

/// A subject entry's "revoked before" time.
fn cutoff_of(sub: &str, value: Option<String>) -> Result<Option<u64>> {
    match value {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| {
            Error::StoreUnavailable(format!("corrupt revocation entry for subject {sub}"))
        }),
    }
}
