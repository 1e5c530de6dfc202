//! A request as the handlers see it: method, URL, the headers they read, and a body read only
//! when a handler asks for it (after its checks), from the runtime's stream or, in tests,
//! from bytes.

use super::form::MAX_BODY;
use super::ApiError;

/// A request body, read at most once, cut off at [`MAX_BODY`].
#[allow(async_fn_in_trait)] // single-threaded Workers: no Send bound wanted
pub trait Body {
    async fn read(&mut self) -> Result<Vec<u8>, ApiError>;
}

impl Body for Vec<u8> {
    async fn read(&mut self) -> Result<Vec<u8>, ApiError> {
        if self.len() > MAX_BODY {
            return Err(ApiError::too_large(MAX_BODY));
        }
        Ok(std::mem::take(self))
    }
}

/// One request.
#[derive(Debug)]
pub struct Incoming<B> {
    pub method: String,
    /// The URL as the client reached it (DPoP proofs name it).
    pub url: String,
    /// The URL's path, percent-encoded as it came.
    pub path: String,
    /// Header names in lower case; a repeated header joined with `, ` (as Fetch does).
    pub headers: Vec<(String, String)>,
    pub body: B,
}

impl<B> Incoming<B> {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Incoming<Vec<u8>> {
    /// A request for tests: `method` and `url` (absolute), headers, a body.
    pub fn new(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = after_scheme
            .find('/')
            .map_or("/", |i| &after_scheme[i..])
            .split(['?', '#'])
            .next()
            .unwrap_or("/")
            .to_owned();
        Incoming {
            method: method.to_owned(),
            url: url.to_owned(),
            path,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
        }
    }
}
