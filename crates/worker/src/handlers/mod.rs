//! The handlers, a file per audience. Each parses the request, makes one call to the core (here,
//! or in a session's or subject's Durable Object), and answers; every failure is an `ApiError`
//! (RFC 6749 JSON with a status), reached with `?`. They see the runtime only through
//! `Platform` and plain requests and answers, so the Worker runs them as they are tested.

pub mod admin;
pub mod authorize;
pub mod code;
pub mod demo;
pub mod keys;
pub mod oauth;
pub mod register;
pub mod testing;
