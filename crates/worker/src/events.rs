//! Security events: one JSON line per event in the Worker's log, for Workers Logs, `wrangler
//! tail` and Logpush to alert on. Ids, the client and the time; never a token or a secret.

use edge_jwt_core::{AccessClaims, RefreshClaims};
use serde::Serialize;

/// The events, by the name each line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    RefreshTokenReused,
    /// A superseded refresh token presented within its session's replay window (another
    /// process of the client, behind): answered with the session's current pair.
    RefreshReplayed,
    SessionRevoked,
    /// A subject at `EDGE_JWT_MAX_SESSIONS` started one more session: its least recently
    /// refreshed one was ended to make room.
    SessionEvicted,
    SubjectLoggedOut,
    ClientAuthenticationFailed,
    /// An authenticated client asked for what its permissions do not allow (`permission`
    /// names what it lacked).
    ClientPermissionRefused,
    TokenRevoked,
    /// A refresh of a DPoP-bound session without a valid proof by its key, or a replayed
    /// proof: a stolen refresh token, likely.
    DpopProofRefused,
    /// An authorization code presented a second time: the session its first use started was
    /// revoked (`sid`, when it was known).
    AuthorizationCodeReused,
    /// A client registered itself (RFC 7591).
    ClientRegistered,
    /// A managed signing key became the one that signs (`kid`): a scheduled or asked rotation.
    SigningKeyRotated,
    /// A managed signing key was revoked (`kid`): out of the JWKS, its tokens refused.
    SigningKeyRevoked,
    /// A client metadata document could not be used (`client_id` is its URL, `reason` says
    /// why; the caller is told only that it could not).
    ClientDocumentRefused,
    /// A client exchanged a subject's access token for one to another audience (RFC 8693):
    /// `client_id` is the exchanging client, `sid` and `sub` the subject token's.
    TokenExchanged,
    /// A JWT bearer grant's assertion was refused (`reason` says why).
    AssertionGrantRefused,
    /// A user an upstream signed in was refused by its allow-list (`sub`, the `reason`).
    SignInRefused,
    /// A session that follows its identity provider ended: the provider refused to refresh the
    /// user's grant (`reason`), so the user is gone there.
    UpstreamSessionEnded,
}

/// Who and what an event is about; fields not known are left out.
#[derive(Debug, Default, Serialize)]
pub struct Subjects<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

impl<'a> Subjects<'a> {
    /// A session's refresh token.
    pub fn refresh(claims: &'a RefreshClaims) -> Self {
        Subjects {
            sid: Some(&claims.sid),
            sub: Some(&claims.sub),
            client_id: Some(&claims.client_id),
            jti: Some(&claims.jti),
            permission: None,
            kid: None,
            reason: None,
        }
    }

    /// An access token.
    pub fn access(claims: &'a AccessClaims) -> Self {
        Subjects {
            sid: Some(&claims.sid),
            sub: Some(&claims.sub),
            client_id: Some(&claims.client_id),
            jti: Some(&claims.jti),
            permission: None,
            kid: None,
            reason: None,
        }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: Event,
    #[serde(flatten)]
    about: Subjects<'a>,
    client_address: Option<&'a str>,
    time: u64,
}

/// The event's line for the log, at `time`.
pub fn line(
    event: Event,
    about: Subjects<'_>,
    client_address: Option<&str>,
    time: u64,
) -> Option<String> {
    let line = Line {
        kind: "edge_jwt_event",
        event,
        about,
        client_address,
        time,
    };
    serde_json::to_string(&line).ok()
}
