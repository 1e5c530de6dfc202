//! The calls to an authorization's object (`AuthorizationObject`, one per login challenge,
//! by the id its sealed challenge carries): it only records the challenge's one answer, the
//! rest of the flow's state riding sealed in the challenge and the code.

use serde::{Deserialize, Serialize};

use super::{Namespace, ObjectCall};

/// Records the challenge's answer, kept until the challenge expires (`expires_at`); a second
/// answer is refused (`ERR_AUTHORIZATION_NOT_FOUND`), so the first stands.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordAnswer {
    pub expires_at: u64,
}

/// Whether the challenge was answered (a consent screen shows only a pending one).
#[derive(Debug, Serialize, Deserialize)]
pub struct WasAnswered {}

object_calls! {
    /// What the Worker asks of an authorization's object.
    AuthorizationCall, crossing as AuthorizationCall, for Namespace::Authorizations,
    wrap: |call, _name| call;
    RecordAnswer => (),
    WasAnswered => bool,
}
