//! An answer as plain data (status, headers, body), made by the handlers and turned into the
//! runtime's `Response` only at the Worker's edge, so that the handlers run in native tests.

use serde::Serialize;

use super::ApiError;

const JSON: &str = "application/json;charset=UTF-8";

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    /// Tokens and errors about them are never cached (RFC 6749 §5.1).
    fn uncached(status: u16, content_type: Option<&str>, body: String) -> Reply {
        let mut headers = Vec::with_capacity(4);
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type.to_owned()));
        }
        headers.push(("Cache-Control", "no-store".to_owned()));
        headers.push(("Pragma", "no-cache".to_owned()));
        headers.push(("X-Content-Type-Options", "nosniff".to_owned()));
        Reply {
            status,
            headers,
            body,
        }
    }

    /// JSON that must not be cached (RFC 6749 §5.1 for tokens; claims, statuses).
    pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Reply, ApiError> {
        let text = serde_json::to_string(body).map_err(|e| ApiError::internal(&e))?;
        Ok(Reply::uncached(status, Some(JSON), text))
    }

    /// A `302 Found` to `location` (the authorization endpoint's answers), never cached.
    pub fn redirect(location: &str) -> Result<Reply, ApiError> {
        let mut reply = Reply::uncached(302, None, String::new());
        reply.headers.push(("Location", location.to_owned()));
        Ok(reply)
    }

    pub fn empty(status: u16) -> Result<Reply, ApiError> {
        Ok(Reply::uncached(status, None, String::new()))
    }

    /// JSON that caches may keep (public keys, metadata): five minutes.
    pub fn public_json(text: String) -> Result<Reply, ApiError> {
        Ok(Reply {
            status: 200,
            headers: vec![
                ("Content-Type", JSON.to_owned()),
                ("Cache-Control", "public, max-age=300".to_owned()),
            ],
            body: text,
        })
    }

    /// An RFC 6749 §5.2 error, with its `WWW-Authenticate`, `Allow`, `Retry-After` or
    /// `DPoP-Nonce`.
    pub fn error(err: &ApiError) -> Reply {
        let mut reply = Reply::uncached(err.status, Some(JSON), err.to_json());
        let extra = [
            ("WWW-Authenticate", err.www_authenticate.as_deref()),
            ("Allow", err.allow),
            ("Retry-After", err.retry_after),
            ("DPoP-Nonce", err.dpop_nonce.as_deref()),
        ];
        for (name, value) in extra {
            if let Some(value) = value {
                reply.headers.push((name, value.to_owned()));
            }
        }
        reply
    }

    /// CORS for an allowed origin; `Vary: Origin` on every answer, since whether these headers
    /// are there depends on it (and shared caches keep the public JSON).
    pub fn with_cors(mut self, allowed_origin: Option<&str>) -> Reply {
        self.headers.push(("Vary", "Origin".to_owned()));
        if let Some(origin) = allowed_origin {
            self.headers.extend([
                ("Access-Control-Allow-Origin", origin.to_owned()),
                (
                    "Access-Control-Allow-Methods",
                    "GET, POST, OPTIONS".to_owned(),
                ),
                (
                    "Access-Control-Allow-Headers",
                    "Authorization, Content-Type, DPoP".to_owned(),
                ),
                (
                    "Access-Control-Expose-Headers",
                    "DPoP-Nonce, WWW-Authenticate".to_owned(),
                ),
                ("Access-Control-Max-Age", "600".to_owned()),
            ]);
        }
        self
    }

    /// The value of header `name` (case-insensitive), for tests and the edge.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
