//! The handlers, a file per audience (the token endpoint and its grants have one of their own).
//! Each parses the request, makes one call to the core (here, or in a Durable Object), and
//! answers; every failure is an `ApiError` (RFC 6749 JSON with a status), reached with `?`.
//! They see the runtime only through `Platform` and plain requests and answers, so the Worker
//! runs them as they are tested; they never import one another: the steps they share are the
//! context's (`crate::context`).

pub mod admin;
pub mod authorize;
pub mod demo;
pub mod keys;
pub mod oauth;
pub mod register;
pub mod signin;
pub mod testing;
pub mod token;
