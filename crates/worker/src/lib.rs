//! edge-jwt-worker: the issuer. HTTP in, a core call, HTTP out.
//!
//! - `api`: the HTTP API as pure functions (parsing, errors, settings), unit-tested natively.
//! - `routes`: the router and its handlers.
//! - `session_object`: one Durable Object per session, running the rotation rules.
//! - `kv`: the revocation list's store, Workers KV.

pub mod api;
mod clock;
mod http;
mod kv;
mod routes;
mod session_object;
mod settings;

pub use session_object::SessionObject;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    routes::handle(req, env).await
}
