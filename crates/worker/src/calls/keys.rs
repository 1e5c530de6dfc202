//! The calls to the key object (`KeyObject`, one for the deployment: the managed signing keys),
//! typed both ways like every object's.

use edge_jwt_core::keyring::{KeyRing, Transition};
use serde::{Deserialize, Serialize};

use super::{Namespace, ObjectCall};

/// The key ring, moved on first if anything is due (so the first call makes the first keys).
#[derive(Debug, Serialize, Deserialize)]
pub struct Ring {}

/// The Cron Trigger's run: the ring moved on when due.
#[derive(Debug, Serialize, Deserialize)]
pub struct Step {}

/// `POST /keys/rotate`: the next key signs now (once it has been published long enough).
#[derive(Debug, Serialize, Deserialize)]
pub struct Rotate {}

/// `POST /keys/{kid}/revoke`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeKey {
    pub kid: String,
}

/// What a key call moved, and the ring after it.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyMoves {
    pub moves: Vec<Transition>,
    pub ring: KeyRing,
}

object_calls! {
    /// What the Worker asks of the key object.
    KeyCall, crossing as KeyCall, for Namespace::Keys,
    wrap: |call, _name| call;
    Ring => KeyRing,
    Step => KeyMoves,
    Rotate => KeyMoves,
    RevokeKey => KeyMoves,
}
