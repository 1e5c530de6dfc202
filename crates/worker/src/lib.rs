//! edge-jwt-worker: the issuer. HTTP in, a core call, HTTP out.
//!
//! - `api`: the HTTP API as pure functions (parsing, errors, settings), unit-tested natively.
//! - `handlers`: the router and its handlers, over a `platform::Platform`: the Worker's bindings
//!   (`edge`), or the core's in-memory stores in tests.
//! - `objects`: a Durable Object per session (rotation) and per subject (its sessions and its
//!   logout-everywhere), reached by typed calls.
//! - `dpop`: DPoP proofs of token requests, and the issuer's own tokens at its resource.
//! - `kv`: the revocation list's store, Workers KV.
//! - `events`: security events, one JSON log line each.

pub mod api;
mod clock;
mod dpop;
mod edge;
mod events;
mod handlers;
mod kv;
mod objects;
mod platform;
mod settings;

pub use objects::session::SessionObject;
pub use objects::subject::SubjectObject;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    edge::handle(req, env).await
}

#[cfg(test)]
mod handler_tests;
