//! The calls to a subject's object (`SubjectObject`, one per subject, by `sub`).

use edge_jwt_core::signin::RememberedConsent;
use edge_jwt_core::{ListedSession, Registered};
use serde::{Deserialize, Serialize};

use super::{Namespace, ObjectCall};

/// Registers a session with its subject; answers the session's `min_iat` and the sessions
/// evicted to make room for it, if any.
#[derive(Debug, Serialize, Deserialize)]
pub struct Register {
    pub sid: String,
    pub client_id: String,
}

/// Tells the subject that session `sid` is being refreshed at `at` (when
/// `refresh_notice_due`), before the refresh.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refreshed {
    pub sid: String,
    pub at: u64,
}

/// Tells the subject that session `sid` ended in its own object (revoked, or reuse).
#[derive(Debug, Serialize, Deserialize)]
pub struct Forget {
    pub sid: String,
}

/// Logs the subject out everywhere; answers the cutoff.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogOutEverywhere {}

/// The subject's live sessions.
#[derive(Debug, Serialize, Deserialize)]
pub struct Sessions {}

/// Ends one of the subject's sessions (`ERR_SESSION_NOT_FOUND` if it has no such session).
#[derive(Debug, Serialize, Deserialize)]
pub struct EndSession {
    pub sid: String,
}

/// Remembers what the subject allowed client `client_id` on the consent page, until `until`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RememberConsent {
    pub client_id: String,
    pub consent: RememberedConsent,
    pub until: u64,
}

/// What the subject allowed client `client_id`, if it is remembered.
#[derive(Debug, Serialize, Deserialize)]
pub struct Remembered {
    pub client_id: String,
}

object_calls! {
    /// What the Worker asks of a subject's object.
    SubjectOp, crossing as SubjectCall, for Namespace::Subjects,
    wrap: |op, sub| SubjectCall { sub: sub.to_owned(), op };
    Register => Registered,
    Refreshed => (),
    Forget => (),
    LogOutEverywhere => u64,
    Sessions => Vec<ListedSession>,
    EndSession => (),
    RememberConsent => (),
    Remembered => Option<RememberedConsent>,
}

/// A call to a subject's object, for subject `sub` (an object does not know the name it was
/// addressed by).
#[derive(Debug, Serialize, Deserialize)]
pub struct SubjectCall {
    pub sub: String,
    #[serde(flatten)]
    pub op: SubjectOp,
}
