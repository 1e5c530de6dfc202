//! HTTP Basic (RFC 6749 §2.3.1) as the token and back-end endpoints read it, and the answer to
//! a client without the permission an endpoint needs. The configured clients themselves are
//! `settings::clients`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use edge_jwt_core::client::Permission;

use super::{form, ApiError};

/// Longest `Authorization` header looked at.
const MAX_AUTHORIZATION: usize = 1024;

/// The answer to an authenticated client without `permission`: 403 `unauthorized_client`,
/// naming the permission and where to give it.
pub fn permission_refused(permission: Permission, client_id: &str) -> ApiError {
    let name = permission.name();
    ApiError::new(
        403,
        "unauthorized_client",
        format!(
            "client {client_id} lacks the \"{name}\" permission: add it to the client's \
             permissions in EDGE_JWT_CLIENTS"
        ),
    )
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`.
pub fn basic_credentials(authorization: Option<&str>) -> Option<(String, String)> {
    let header = authorization?;
    if header.len() > MAX_AUTHORIZATION {
        return None;
    }
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form::decode(id).ok()?, form::decode(secret).ok()?))
}
