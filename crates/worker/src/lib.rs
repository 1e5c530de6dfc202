//! edge-jwt-worker: the issuer. HTTP in, a core call, HTTP out.
//!
//! Imports run one way, down this list:
//! - `edge`: the runtime's request and response, around `routes::handle`.
//! - `routes`: the route table; `handlers`: a file per audience (OAuth endpoints, the back
//!   end's admin calls, the demo, the tests' hook); `context`: what each handler gets.
//! - `bindings`: every binding and its name (settings, objects, KV, rate limit), as the
//!   handlers' `platform::Platform` and as the objects' caller.
//! - `objects`: a Durable Object per session (rotation) and per subject (its sessions and its
//!   logout-everywhere); `objects::calls`, the typed calls between them and the Worker, is
//!   the bottom: it knows only the core.
//! - `api`: the HTTP API as pure functions (parsing, errors, settings), unit-tested natively;
//!   `dpop`: DPoP at the edge; `kv`: KV as a store; `events`: security events.

pub mod api;
mod bindings;
mod clock;
mod context;
mod dpop;
mod edge;
mod events;
mod handlers;
mod kv;
mod objects;
mod platform;
mod routes;

pub use objects::authorization::AuthorizationObject;
pub use objects::keys::KeyObject;
pub use objects::session::SessionObject;
pub use objects::subject::SubjectObject;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    edge::handle(req, env).await
}

/// The Cron Trigger (`[triggers]` in wrangler.toml): managed keys move on when due.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    edge::scheduled(env).await
}

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod handler_tests;
#[cfg(test)]
mod import_order;
#[cfg(test)]
mod security_tests;
