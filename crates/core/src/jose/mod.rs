//! The JWS compact serialization, parsed strictly: canonical base64url, JSON objects without
//! duplicate names, a bounded size checked before any decoding.

pub mod compact;
pub use edge_jwt_text::{b64, json};

pub use compact::{CompactJws, Header};
