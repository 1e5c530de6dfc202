//! Sessions: the rotation state a session keeps in its own store, and the rules that start,
//! refresh and end it.

mod record;
mod rotation;

pub use record::{Rotation, SessionRecord, Superseded, MAX_SUPERSEDED};
pub use rotation::{NewSession, Presentation, Rotated, SessionRotation, SessionStatus};
