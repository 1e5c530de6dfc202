//! The calls to a session's object (`SessionObject`, one per session, by `sid`).

use edge_jwt_core::{NewSession, Presentation, RefreshClaims, Rotated, SessionStatus, TokenPair};
use serde::{Deserialize, Serialize};

use super::{Namespace, ObjectCall};

/// Starts the session; `min_iat` comes from its subject's object.
#[derive(Debug, Serialize, Deserialize)]
pub struct Start {
    pub sid: String,
    pub request: NewSession,
    pub min_iat: u64,
}

/// Records the challenge's answer, kept until the challenge expires (`expires_at`), in the object of the session its code will start; a second
/// answer is refused (`ERR_AUTHORIZATION_NOT_FOUND`), so the first stands.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordAnswer {
    pub expires_at: u64,
}

/// Whether the challenge was answered (a consent screen shows only a pending one).
#[derive(Debug, Serialize, Deserialize)]
pub struct WasAnswered {}

/// Starts the session an authorization code names, once: a second use of the code finds it
/// started and ends it (`ERR_AUTHORIZATION_CODE_REUSED`).
#[derive(Debug, Serialize, Deserialize)]
pub struct StartOnce {
    pub sid: String,
    pub request: NewSession,
    pub min_iat: u64,
}

/// Rotates a refresh token the Worker verified, presented with the DPoP proof the Worker
/// checked against the request (the object checks its binding and its `jti`); answers the pair
/// and whether it was a replay's (within the session's replay window): only the
/// Worker's own bindings reach an object, so signatures are checked once per request.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refresh {
    pub claims: RefreshClaims,
    pub presented: Presentation,
}

/// Ends the session (logout of this one session); answers whether it was live.
#[derive(Debug, Serialize, Deserialize)]
pub struct End {
    pub sid: String,
}

/// Revokes the session of a refresh token the Worker verified (RFC 7009), presented with the
/// DPoP proof the Worker checked against the request: a bound session needs its key. Answers
/// whether it was live.
#[derive(Debug, Serialize, Deserialize)]
pub struct Revoke {
    pub claims: RefreshClaims,
    pub presented: Presentation,
}

/// Ends the session for its subject's logout-everywhere at `cutoff`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EndForSubject {
    pub sid: String,
    pub cutoff: u64,
}

/// Revokes one of the session's access tokens; answers whether it was new.
#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeToken {
    pub jti: String,
    pub exp: u64,
}

/// Runs the store contract against the object's storage, under `prefix` (tests only: the
/// object refuses unless the configuration turns it on); answers the first rule broken.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoreConformance {
    pub prefix: String,
}

/// Records `key` until `until` unless it is recorded: whether this was its first use. Sent to
/// the object named for a client's assertions (`client-assertions:<client_id>`, never a
/// `sid`), so that each `jti` of a client's assertions is accepted once, exactly.
#[derive(Debug, Serialize, Deserialize)]
pub struct UseOnce {
    pub key: String,
    pub until: u64,
}

/// Keeps `value` under `key` in the session's store until `until` (the session's link to its
/// identity provider, `UPSTREAM_LINK_KEY`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Keep {
    pub key: String,
    pub value: String,
    pub until: u64,
}

/// What [`Keep`] kept under `key`, if it still is.
#[derive(Debug, Serialize, Deserialize)]
pub struct Kept {
    pub key: String,
}

/// The session's status, and whether `refresh_jti` (if given) still refreshes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    pub sid: String,
    pub refresh_jti: Option<String>,
}

object_calls! {
    /// What the Worker (or a subject's object) asks of a session's object.
    SessionCall, crossing as SessionCall, for Namespace::Sessions,
    wrap: |call, _name| call;
    Start => TokenPair,
    StartOnce => TokenPair,
    RecordAnswer => (),
    WasAnswered => bool,
    Refresh => Rotated,
    End => bool,
    Revoke => bool,
    EndForSubject => (),
    RevokeToken => bool,
    StoreConformance => Option<String>,
    Status => Option<SessionStatus>,
    UseOnce => bool,
    Keep => (),
    Kept => Option<String>,
}
