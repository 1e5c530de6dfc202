//! The JWS compact serialization, parsed strictly: canonical base64url, JSON objects without
//! duplicate names, a bounded size checked before any decoding.

pub mod b64;
pub mod compact;
pub mod json;

pub use compact::{CompactJws, Header};
