//! The JWS compact serialization, parsed strictly: canonical base64url, JSON objects without
//! duplicate names, a bounded size checked before any decoding.

pub mod compact;
pub mod json;
pub use edge_jwt_text::b64;

pub use compact::{CompactJws, Header};
