//! The rotation rules, over one session's store. Every refresh consumes the presented refresh
//! token and returns a new pair in the same session. Presenting the consumed token again within
//! the grace window answers the same pair again (so concurrent tabs never fork the session and
//! a replay mints nothing); presenting it later, or any older token, is reuse: the whole session
//! is revoked, access tokens included.
//!
//! Between reading and writing the session record only the session store is awaited, so a
//! store that serializes requests per session (a Durable Object) makes the rules exact. A
//! refresh reads nothing else: revocations of the session (logout, reuse, the subject's
//! logout-everywhere) are all marked in its own record.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Rotation, SessionRecord};
use crate::claims::{check_custom_claims, RefreshClaims, MAX_SUBJECT_LENGTH};
use crate::clock::Clock;
use crate::error::{Error, Result, RevokedBy};
use crate::issuer::{Grant, SessionClaims, TokenIssuer, TokenPair};
use crate::random::new_id;
use crate::revocation::RevocationList;
use crate::store::Store;

/// What a trusted client asks for when it starts a session for a user it authenticated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewSession {
    pub sub: String,
    pub client_id: String,
    pub scope: Option<String>,
    /// Custom claims for the session's access tokens; reserved names are refused.
    pub claims: Map<String, Value>,
}

impl NewSession {
    /// The rules a new session's request must meet (a subject of 1 to 256 bytes, no reserved
    /// custom claim); checked again by [`SessionRotation::start`].
    pub fn validate(&self) -> Result<()> {
        if self.sub.is_empty() || self.sub.len() > MAX_SUBJECT_LENGTH {
            return Err(Error::InvalidOption(format!(
                "sub must be 1 to {MAX_SUBJECT_LENGTH} bytes"
            )));
        }
        check_custom_claims(&self.claims)
    }
}

/// What a session says of itself: for its subject's list of sessions, and for introspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStatus {
    pub sid: String,
    pub client_id: String,
    pub started_at: u64,
    pub last_refreshed_at: u64,
    pub ends_at: u64,
    /// Not revoked (and, when asked about one refresh token, that token still refreshes).
    pub live: bool,
}

/// Set in a session's store when its subject was logged out before the session started: the
/// start, arriving late, is refused.
fn revoked_before_start_key(sid: &str) -> String {
    format!("revoked-before-start:{sid}")
}

/// The rotation of one session: its store (a Durable Object's storage), the revocation list it
/// publishes revocations to (KV, for verifiers of access tokens), a clock.
pub struct SessionRotation<'a, S, R, C> {
    pub issuer: &'a TokenIssuer,
    pub store: &'a S,
    pub revocations: &'a RevocationList<R>,
    pub clock: &'a C,
}

impl<S: Store, R: Store, C: Clock> SessionRotation<'_, S, R, C> {
    fn leeway(&self) -> u64 {
        self.issuer.policy().leeway
    }

    fn new_grant(iat: u64) -> Result<Grant> {
        Ok(Grant {
            iat,
            refresh_jti: new_id()?,
            access_jti: new_id()?,
        })
    }

    /// Starts session `sid` and returns its first pair. `min_iat` comes from the subject
    /// ([`crate::subject::Subject::register`]): no token of the session is dated earlier.
    pub async fn start(&self, sid: &str, request: NewSession, min_iat: u64) -> Result<TokenPair> {
        request.validate()?;
        if self
            .store
            .get(&revoked_before_start_key(sid))
            .await?
            .is_some()
        {
            return Err(Error::Revoked(RevokedBy::Subject));
        }
        if SessionRecord::load(self.store, sid).await?.is_some() {
            return Err(Error::Internal(format!("session {sid} exists already")));
        }
        let now = self.clock.now();
        let record = SessionRecord {
            session: SessionClaims {
                sid: sid.to_owned(),
                sub: request.sub,
                client_id: request.client_id,
                scope: request.scope,
                claims: request.claims,
                ends_at: now + self.issuer.policy().session_max,
            },
            started_at: now,
            min_iat,
            current: Self::new_grant(now.max(min_iat))?,
            previous: None,
            last_refreshed_at: now,
            revoked: false,
            published: true,
        };
        let pair = self.issuer.issue(&record.session, &record.current, now)?;
        // Refused here, not later by every verifier: the issuer's own verifier (and the npm
        // package's, by default) refuses tokens over this size.
        let limit = self.issuer.access_verifier().options().max_token_length;
        let longest = pair.access_token.len().max(pair.refresh_token.len());
        if longest > limit {
            return Err(Error::InvalidOption(format!(
                "the session's claims make a {longest}-byte token, over the {limit}-byte limit \
                 verifiers accept: send fewer or shorter claims"
            )));
        }
        record.save(self.store, self.leeway()).await?;
        Ok(pair)
    }

    /// Rotates a refresh token (RFC 6749 §6) under the rules above. `claims` are what
    /// [`TokenIssuer::verify_refresh`] returned for the presented token: the adapter that
    /// verified it to find this session passes them on, so the signature is checked once.
    pub async fn refresh(&self, claims: &RefreshClaims) -> Result<TokenPair> {
        let now = self.clock.now();
        let mut record = SessionRecord::load(self.store, &claims.sid)
            .await?
            .ok_or(Error::SessionNotFound)?;
        if record.revoked {
            self.publish(&mut record).await?;
            return Err(Error::Revoked(RevokedBy::Session));
        }
        if claims.jti == record.current.refresh_jti {
            let grant = Self::new_grant(record.issued_at(now))?;
            record.previous = Some(Rotation {
                jti: claims.jti.clone(),
                at: now,
                grant: grant.clone(),
            });
            record.current = grant;
            record.last_refreshed_at = now;
            record.save(self.store, self.leeway()).await?;
            return self.issuer.issue(&record.session, &record.current, now);
        }
        let grace = self.issuer.policy().reuse_grace;
        match &record.previous {
            // The same answer as the rotation that consumed it: nothing new is minted.
            Some(rotation) if rotation.jti == claims.jti && now <= rotation.at + grace => {
                self.issuer.issue(&record.session, &rotation.grant, now)
            }
            _ => {
                record.revoked = true;
                record.published = false;
                record.save(self.store, self.leeway()).await?;
                self.publish(&mut record).await?;
                Err(Error::RefreshTokenReused)
            }
        }
    }

    /// Makes a revocation marked in the record known to the revocation list, once. Until it
    /// succeeds, every request to the session tries again.
    async fn publish(&self, record: &mut SessionRecord) -> Result<()> {
        if record.published {
            return Ok(());
        }
        self.revocations
            .revoke_session(
                &record.session.sid,
                record.session.ends_at,
                self.clock.now(),
            )
            .await?;
        record.published = true;
        record.save(self.store, self.leeway()).await
    }

    /// Ends the session (logout, RFC 7009 revocation of its refresh token, or its subject
    /// ending this one session): refresh tokens are refused at once, access tokens once the
    /// revocation list has the entry. Returns whether the session was live; ending it again
    /// writes nothing.
    pub async fn end(&self, sid: &str) -> Result<bool> {
        let Some(mut record) = SessionRecord::load(self.store, sid).await? else {
            return Ok(false);
        };
        let was_live = !record.revoked;
        if was_live {
            record.revoked = true;
            record.published = false;
            record.save(self.store, self.leeway()).await?;
        }
        self.publish(&mut record).await?;
        Ok(was_live)
    }

    /// Ends the session for its subject's logout-everywhere at `cutoff`. The subject's own
    /// revocation entry blocks every access token dated up to `cutoff`; only a session that
    /// issued a later one (a refresh that raced the logout) needs an entry of its own. A
    /// session not started yet is refused when its start arrives.
    pub async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<()> {
        let now = self.clock.now();
        let Some(mut record) = SessionRecord::load(self.store, sid).await? else {
            let until = now + self.issuer.policy().session_max + self.leeway();
            return Ok(self
                .store
                .put(&revoked_before_start_key(sid), &cutoff.to_string(), until)
                .await?);
        };
        if !record.revoked {
            record.revoked = true;
            record.published = record.current.iat <= cutoff;
            record.save(self.store, self.leeway()).await?;
        }
        self.publish(&mut record).await
    }

    /// Revokes one access token of the session until it expires. Returns whether it was new:
    /// revoking it again writes nothing, here or in the revocation list.
    pub async fn revoke_token(&self, jti: &str, exp: u64) -> Result<bool> {
        let key = format!("revoked:jti:{jti}");
        if self.store.get(&key).await?.is_some() {
            return Ok(false);
        }
        let now = self.clock.now();
        self.revocations.revoke_token(jti, exp, now).await?;
        let until = self.revocations.entry_expiry(exp, now);
        self.store.put(&key, "1", until).await?;
        Ok(true)
    }

    /// The session's status; with `refresh_jti`, `live` also says whether that refresh token
    /// still refreshes (the live one, or the one just consumed within the grace window).
    pub async fn status(
        &self,
        sid: &str,
        refresh_jti: Option<&str>,
    ) -> Result<Option<SessionStatus>> {
        let now = self.clock.now();
        let Some(record) = SessionRecord::load(self.store, sid).await? else {
            return Ok(None);
        };
        let grace = self.issuer.policy().reuse_grace;
        let token_live = refresh_jti.is_none_or(|jti| {
            jti == record.current.refresh_jti
                || record
                    .previous
                    .as_ref()
                    .is_some_and(|r| r.jti == jti && now <= r.at + grace)
        });
        Ok(Some(SessionStatus {
            sid: record.session.sid,
            client_id: record.session.client_id,
            started_at: record.started_at,
            last_refreshed_at: record.last_refreshed_at,
            ends_at: record.session.ends_at,
            live: !record.revoked && now < record.session.ends_at && token_live,
        }))
    }
}
