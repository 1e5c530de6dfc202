//! The rotation rules. Every refresh consumes the presented refresh token and returns a new
//! pair in the same session. Presenting the consumed token again within the grace window
//! returns the same successor (so concurrent tabs never fork the session); presenting it later,
//! or any older token, is reuse: the whole session is revoked, access tokens included.
//!
//! Between reading and writing the session record only the session store is awaited, so a
//! store that serializes requests per session (a Durable Object) makes the rules exact.

use serde_json::{Map, Value};

use super::{RevocationTarget, Rotation, SessionRecord, TokenIssuer, TokenPair};
use crate::claims::{check_custom_claims, RefreshClaims, MAX_SUBJECT_LENGTH};
use crate::clock::Clock;
use crate::error::{Error, Result, RevokedBy};
use crate::revocation::RevocationList;
use crate::store::Store;

/// What a trusted client asks for when it starts a session for a user it authenticated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewSession {
    pub sub: String,
    pub client_id: String,
    pub scope: Option<String>,
    /// Custom claims for the session's access tokens; reserved names are refused.
    pub claims: Map<String, Value>,
}

/// The session operations over a session store (rotation state) and the revocation list.
pub struct Sessions<'a, F, R, C> {
    pub issuer: &'a TokenIssuer,
    pub sessions: &'a F,
    pub revocations: &'a RevocationList<R>,
    pub clock: &'a C,
}

impl<F: Store, R: Store, C: Clock> Sessions<'_, F, R, C> {
    fn leeway(&self) -> u64 {
        self.issuer.policy().leeway
    }

    /// Starts session `sid` and returns its first pair.
    pub async fn start(&self, sid: &str, request: NewSession) -> Result<TokenPair> {
        if request.sub.is_empty() || request.sub.len() > MAX_SUBJECT_LENGTH {
            return Err(Error::InvalidOption(format!(
                "sub must be 1 to {MAX_SUBJECT_LENGTH} bytes"
            )));
        }
        check_custom_claims(&request.claims)?;
        let now = self.clock.now();
        let revoked_before = self
            .revocations
            .subject_revoked_before(&request.sub)
            .await?;
        let iat = self.issuer.policy().issued_at(now, revoked_before);
        let mut record = SessionRecord {
            sid: sid.to_owned(),
            sub: request.sub,
            client_id: request.client_id,
            scope: request.scope,
            claims: request.claims,
            started_at: now,
            ends_at: now + self.issuer.policy().session_max,
            current_jti: String::new(),
            previous: None,
            revoked: false,
        };
        let (refresh_token, jti) = self.issuer.sign_refresh(&record, iat)?;
        record.current_jti = jti;
        record.save(self.sessions, self.leeway()).await?;
        let (access_token, access_exp) = self.issuer.sign_access(&record, iat)?;
        Ok(self
            .issuer
            .pair(&record, now, access_token, access_exp, refresh_token))
    }

    /// Rotates a refresh token (RFC 6749 §6) under the rules above.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        let claims = self
            .issuer
            .verify_refresh(refresh_token, self.clock.now())?;
        self.refresh_verified(&claims).await
    }

    /// [`Sessions::refresh`] for claims that [`TokenIssuer::verify_refresh`] has already
    /// returned, so that an adapter which verified the token to find its session does not pay
    /// for a second signature check. Never pass claims from anywhere else.
    pub async fn refresh_verified(&self, claims: &RefreshClaims) -> Result<TokenPair> {
        let now = self.clock.now();
        // Revocation-list reads happen before the record is read: see the module comment.
        let revoked_before = self.revocations.check(claims.ids()).await?;
        let mut record = SessionRecord::load(self.sessions, &claims.sid)
            .await?
            .ok_or(Error::SessionNotFound)?;
        if record.revoked {
            return Err(Error::Revoked(RevokedBy::Session));
        }
        let iat = self.issuer.policy().issued_at(now, revoked_before);
        let grace = self.issuer.policy().reuse_grace;
        let successor = if claims.jti == record.current_jti {
            let (successor, jti) = self.issuer.sign_refresh(&record, iat)?;
            record.previous = Some(Rotation {
                jti: std::mem::replace(&mut record.current_jti, jti),
                at: now,
                refresh_token: successor.clone(),
            });
            record.save(self.sessions, self.leeway()).await?;
            successor
        } else {
            match &record.previous {
                Some(rotation) if rotation.jti == claims.jti && now <= rotation.at + grace => {
                    rotation.refresh_token.clone()
                }
                _ => {
                    record.revoked = true;
                    record.save(self.sessions, self.leeway()).await?;
                    self.revocations
                        .revoke_session(&record.sid, record.ends_at, now)
                        .await?;
                    return Err(Error::RefreshTokenReused);
                }
            }
        };
        let (access_token, access_exp) = self.issuer.sign_access(&record, iat)?;
        Ok(self
            .issuer
            .pair(&record, now, access_token, access_exp, successor))
    }

    /// Ends a session (logout): its record is marked revoked and the revocation list blocks
    /// its access tokens until the session's end.
    pub async fn end(&self, claims: &RefreshClaims) -> Result<()> {
        let now = self.clock.now();
        if let Some(mut record) = SessionRecord::load(self.sessions, &claims.sid).await? {
            if !record.revoked {
                record.revoked = true;
                record.save(self.sessions, self.leeway()).await?;
            }
        }
        self.revocations
            .revoke_session(&claims.sid, claims.session_end, now)
            .await
    }

    /// RFC 7009 revocation of any of the issuer's tokens: an access token by its `jti`, a
    /// refresh token with its whole session. A token that is expired, foreign or malformed
    /// needs nothing revoked and is not an error (RFC 7009 §2.2).
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let now = self.clock.now();
        match self.issuer.revocation_target(token, now) {
            Some(RevocationTarget::Token { jti, exp }) => {
                self.revocations.revoke_token(&jti, exp, now).await
            }
            Some(RevocationTarget::Session(claims)) => self.end(&claims).await,
            None => Ok(()),
        }
    }

    /// Verifies an access token and checks it against the revocation list (fails closed).
    pub async fn check_access(&self, token: &str) -> Result<crate::claims::AccessClaims> {
        let claims = self.issuer.verify_access(token, self.clock.now())?;
        self.revocations.check(claims.ids()).await?;
        Ok(claims)
    }

    /// Logs a subject out everywhere.
    pub async fn revoke_subject(&self, sub: &str) -> Result<()> {
        self.revocations
            .log_out_everywhere(sub, self.clock.now(), self.issuer.policy())
            .await
    }
}
