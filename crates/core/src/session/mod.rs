//! Sessions: the issuer that signs a session's tokens, the rotation state a session keeps, and
//! the rules that start, refresh and end it.

mod issuer;
mod record;
mod rotation;

pub use issuer::{IssuedToken, RevocationTarget, TokenIssuer, TokenPair};
pub use record::{Grant, Rotation, SessionRecord};
pub use rotation::{NewSession, SessionRotation, SessionStatus};
