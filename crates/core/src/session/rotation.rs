//! The rotation rules, over one session's store. Every refresh consumes the presented refresh
//! token and returns a new pair in the same session. Presenting the consumed token again within
//! the grace window answers the same pair again (so concurrent tabs never fork the session and
//! a replay mints nothing); presenting it later, or any older token, is reuse: the whole session
//! is revoked, access tokens included. A session with a replay window (a client whose several
//! processes share one stored refresh token) answers a token superseded within that window with
//! its current pair instead: the other process catches up, nothing new is minted, and only a
//! presentation after the window is reuse.
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
use crate::dpop::{is_thumbprint, DpopProof, DEFAULT_PROOF_MAX_AGE};
use crate::error::{Error, Result, RevokedBy};
use crate::issuer::{narrow_scope, Grant, SessionClaims, TokenIssuer, TokenPair};
use crate::policy::MAX_REPLAY_WINDOW;
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
    /// The RFC 7638 thumbprint of the browser's DPoP key, which binds the session to it from
    /// its first pair on (RFC 9449 §10: the back end passes on what the browser sent it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// `aud` of its access tokens, when not the policy's (the demo's own audience).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Started for a confidential client (the code flow's, which authenticated at the
    /// exchange): its refresh tokens refresh only with that client's credentials.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confidential: bool,
    /// Seconds a superseded refresh token still answers the session's current pair (0: none,
    /// reuse after the grace window). At most [`MAX_REPLAY_WINDOW`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replay_window: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a refresh answered: the pair, and whether it was a replay's (a superseded token
/// answered with the session's current pair, within its replay window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rotated {
    pub pair: TokenPair,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

impl NewSession {
    /// The rules a new session's request must meet (a subject of 1 to 256 bytes that is not
    /// its client's id, no reserved custom claim); checked again by [`SessionRotation::start`].
    pub fn validate(&self) -> Result<()> {
        if self.sub.is_empty() || self.sub.len() > MAX_SUBJECT_LENGTH {
            return Err(Error::InvalidOption(format!(
                "sub must be 1 to {MAX_SUBJECT_LENGTH} bytes"
            )));
        }
        // A token whose `sub` is its `client_id` is the client's own (client credentials,
        // RFC 9068 §2.2): a user's session never looks like one.
        if self.sub == self.client_id {
            return Err(Error::InvalidOption(
                "sub may not be the client's own id: a token whose sub is its client_id is the \
                 client's own (client credentials), never a user's"
                    .into(),
            ));
        }
        if self
            .dpop_jkt
            .as_deref()
            .is_some_and(|jkt| !is_thumbprint(jkt))
        {
            return Err(Error::InvalidOption(
                "dpop_jkt must be a JWK SHA-256 thumbprint (RFC 7638): 43 base64url characters"
                    .into(),
            ));
        }
        if self.replay_window > MAX_REPLAY_WINDOW {
            return Err(Error::InvalidOption(format!(
                "replay_window must be at most {MAX_REPLAY_WINDOW} seconds"
            )));
        }
        check_custom_claims(&self.claims)
    }
}

/// How a refresh token was presented at the token endpoint: with a DPoP proof the adapter
/// checked against the request (RFC 9449 §4.3, all but the `jti`), and whether the client
/// authenticated. Default: no proof, a public client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presentation {
    pub proof: Option<DpopProof>,
    /// The client authenticated (a confidential client): its refresh tokens are bound to its
    /// credentials, so a proof binds the access token only (RFC 9449 §5).
    pub client_authenticated: bool,
    /// The `resource` the refresh names (RFC 8707 §2.2): it must be the session's audience; a
    /// refresh never widens what was authorized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The `scope` the refresh asks for (RFC 6749 §6): within the session's, for the new access
    /// token only (`invalid_scope` if wider; empty: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// What a bound session's rule says of a request's proof.
enum Binding {
    /// Unbound, or a proof by its key: the request goes on.
    Holds,
    /// A used refresh token of a late-bound session without its key.
    Reuse,
}

/// Where a proof's `jti` is kept in the session's store, until the proof is too old to pass.
fn proof_key(jti: &str) -> String {
    format!("dpop-jti:{jti}")
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
    /// The thumbprint of the key the session is bound to, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
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

    fn new_grant(iat: u64, jkt: Option<String>) -> Result<Grant> {
        Ok(Grant {
            iat,
            refresh_jti: new_id()?,
            access_jti: new_id()?,
            jkt,
            scope: None,
        })
    }

    /// Starts session `sid` from an authorization code, once: the code names the session it
    /// starts, so a second use finds it started and ends it (RFC 6749 §4.1.2), whichever of the
    /// two arrives first, and is `AuthorizationCodeReused`.
    pub async fn start_once(
        &self,
        sid: &str,
        request: NewSession,
        min_iat: u64,
    ) -> Result<TokenPair> {
        if SessionRecord::load(self.store, sid).await?.is_some() {
            self.end(sid).await?;
            return Err(Error::AuthorizationCodeReused);
        }
        self.start(sid, request, min_iat).await
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
                jkt: request.dpop_jkt.clone(),
                audience: request.audience,
                confidential: request.confidential,
            },
            started_at: now,
            min_iat,
            current: Self::new_grant(now.max(min_iat), request.dpop_jkt)?,
            previous: None,
            replay_window: request.replay_window,
            superseded: Vec::new(),
            bound_late: false,
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

    /// Rotates a refresh token (RFC 6749 §6) under the rules above, presented without a DPoP
    /// proof by a public client.
    pub async fn refresh(&self, claims: &RefreshClaims) -> Result<TokenPair> {
        let rotated = (self.refresh_presented(claims, &Presentation::default())).await?;
        Ok(rotated.pair)
    }

    /// Rotates a refresh token (RFC 6749 §6) under the rules above. `claims` are what
    /// [`TokenIssuer::verify_refresh`] returned for the presented token: the adapter that
    /// verified it to find this session passes them on, so the signature is checked once.
    ///
    /// DPoP (RFC 9449 §5): a bound session refreshes only with a proof by its key, and a proof
    /// is used once. Both are checked before anything else, so that a stolen copy of the
    /// refresh token of a session bound at its start, without the key, changes nothing (it
    /// cannot even end the session as a reuse). A public client's first proof binds an unbound
    /// session; a confidential client's binds the access token only. A used refresh token of a
    /// session bound that late, presented without its key, is reuse: the first proof may have
    /// been a thief's. The access tokens of a bound session carry `cnf.jkt`.
    ///
    /// A replay (a token superseded within the session's replay window) passes the same
    /// binding rules first: a bound session's replay needs a proof by its key.
    pub async fn refresh_presented(
        &self,
        claims: &RefreshClaims,
        presented: &Presentation,
    ) -> Result<Rotated> {
        let now = self.clock.now();
        let mut record = SessionRecord::load(self.store, &claims.sid)
            .await?
            .ok_or(Error::SessionNotFound)?;
        if record.revoked {
            self.publish(&mut record).await?;
            return Err(Error::Revoked(RevokedBy::Session));
        }
        if let Some(resource) = &presented.resource {
            let audience =
                (record.session.audience.as_ref()).unwrap_or(&self.issuer.policy().audience);
            if resource != audience {
                return Err(Error::InvalidTarget(format!(
                    "{resource:?} is not the resource this session was authorized for"
                )));
            }
        }
        // Checked before anything is used up (a proof's `jti` included).
        let narrowed = match presented.scope.as_deref() {
            None => None,
            Some(asked) => {
                Some(narrow_scope(record.session.scope.as_deref(), asked)?.unwrap_or_default())
            }
        };
        let proof = presented.proof.as_ref();
        if let Binding::Reuse = self.check_binding(&record, claims, proof).await? {
            self.revoke_for_reuse(&mut record).await?;
            return Err(Error::RefreshTokenReused);
        }
        if claims.jti == record.current.refresh_jti {
            if record.session.jkt.is_none() && !presented.client_authenticated {
                record.session.jkt = proof.map(|p| p.jkt.clone());
                record.bound_late = record.session.jkt.is_some();
            }
            let jkt = record
                .session
                .jkt
                .clone()
                .or_else(|| proof.map(|p| p.jkt.clone()));
            let mut grant = Self::new_grant(record.issued_at(now), jkt)?;
            grant.scope = narrowed;
            record.supersede(&claims.jti, now);
            record.previous = Some(Rotation {
                jti: claims.jti.clone(),
                at: now,
                grant: grant.clone(),
            });
            record.current = grant;
            record.last_refreshed_at = now;
            record.save(self.store, self.leeway()).await?;
            let pair = self.issuer.issue(&record.session, &record.current, now)?;
            return Ok(Rotated {
                pair,
                replayed: false,
            });
        }
        let grace = self.issuer.policy().reuse_grace;
        match &record.previous {
            // The same answer as the rotation that consumed it: nothing new is minted.
            Some(rotation) if rotation.jti == claims.jti && now <= rotation.at + grace => {
                let pair = self.issuer.issue(&record.session, &rotation.grant, now)?;
                Ok(Rotated {
                    pair,
                    replayed: false,
                })
            }
            // Another process of the client, behind: it catches up with the current pair.
            _ if record.replayable(&claims.jti, now) => {
                let pair = self.issuer.issue(&record.session, &record.current, now)?;
                Ok(Rotated {
                    pair,
                    replayed: true,
                })
            }
            _ => {
                self.revoke_for_reuse(&mut record).await?;
                Err(Error::RefreshTokenReused)
            }
        }
    }

    /// A bound session's rule for a request with its refresh token, before any other: a proof
    /// by its key, used once. A used refresh token presented without the key to a session
    /// bound by a refresh (the key may be a thief's who refreshed first) is reuse.
    async fn check_binding(
        &self,
        record: &SessionRecord,
        claims: &RefreshClaims,
        proof: Option<&DpopProof>,
    ) -> Result<Binding> {
        if let Some(jkt) = &record.session.jkt {
            let bound = proof
                .ok_or_else(|| {
                    Error::DpopProofInvalid(
                        "the session is bound to a key: its refresh token needs a DPoP proof \
                         signed by it"
                            .into(),
                    )
                })
                .and_then(|proof| proof.check_binding(jkt));
            if let Err(err) = bound {
                if record.bound_late && claims.jti != record.current.refresh_jti {
                    return Ok(Binding::Reuse);
                }
                return Err(err);
            }
        }
        if let Some(proof) = proof {
            self.use_proof(proof).await?;
        }
        Ok(Binding::Holds)
    }

    /// Ends the session on a request to revoke its refresh token (RFC 7009), presented as
    /// `presented`: a bound session needs a proof by its key, as a refresh does, so a stolen
    /// copy of its refresh token cannot end it either. Returns whether the session was live.
    pub async fn revoke_presented(
        &self,
        claims: &RefreshClaims,
        presented: &Presentation,
    ) -> Result<bool> {
        let Some(record) = SessionRecord::load(self.store, &claims.sid).await? else {
            return Ok(false);
        };
        if !record.revoked {
            self.check_binding(&record, claims, presented.proof.as_ref())
                .await?;
        }
        self.end(&claims.sid).await
    }

    /// Reuse: the whole session is revoked, access tokens included.
    async fn revoke_for_reuse(&self, record: &mut SessionRecord) -> Result<()> {
        record.revoked = true;
        record.published = false;
        record.save(self.store, self.leeway()).await?;
        self.publish(record).await
    }

    /// Marks a proof's `jti` used, until the proof is too old to pass its `iat` check;
    /// `DpopReplayed` if it was used before (RFC 9449 §11.1). Exact: the session's store
    /// serializes its requests.
    async fn use_proof(&self, proof: &DpopProof) -> Result<()> {
        let key = proof_key(&proof.jti);
        if self.store.get(&key).await?.is_some() {
            return Err(Error::DpopReplayed);
        }
        let until = proof.iat + DEFAULT_PROOF_MAX_AGE + self.leeway();
        Ok(self.store.put(&key, "1", until).await?)
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
    /// still refreshes (the live one, the one just consumed within the grace window, or one
    /// superseded within the replay window).
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
                || record.replayable(jti, now)
        });
        Ok(Some(SessionStatus {
            sid: record.session.sid,
            client_id: record.session.client_id,
            started_at: record.started_at,
            last_refreshed_at: record.last_refreshed_at,
            ends_at: record.session.ends_at,
            live: !record.revoked && now < record.session.ends_at && token_live,
            jkt: record.session.jkt,
        }))
    }
}
