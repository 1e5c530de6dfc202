//! The strict text layer under the JWS parser: canonical base64url, and JSON objects without
//! duplicate names. A crate of its own so that the npm package may build it for speed while
//! the rest of the core is built for size: every token's bytes go through it.

pub mod b64;
pub mod json;
