//! edge-jwt-worker: the issuer. HTTP in, a core call, HTTP out.
//!
//! Two ways in, imported by nothing: `edge` (the runtime's requests and the Cron Trigger,
//! around `routes::handle`) and `objects` (the four Durable Objects: `SessionObject` per
//! session, `SubjectObject` per subject, `AuthorizationObject` per login challenge, and the one
//! `KeyObject`). Under them imports run one way, down this list:
//! - `routes`: the route table; `handlers`: a file per audience (OAuth endpoints, the back
//!   end's admin calls, the demo, the tests' hook); `context`: what each handler gets.
//! - `bindings`: every binding and its name (settings, objects, KV, rate limit), as the
//!   handlers' `platform::Platform` and as the objects' caller.
//! - `api`: the HTTP API as pure functions (parsing, errors, settings), unit-tested natively;
//!   `dpop`: DPoP at the edge; `kv`: KV as a store; `events`: security events.
//! - `calls`: the typed calls between the Worker and its objects, the bottom: it knows only
//!   the core.

pub mod api;
mod bindings;
mod calls;
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
pub mod settings;

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
mod assertion_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod delegation_tests;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod handler_tests;
#[cfg(test)]
mod import_order;
#[cfg(test)]
mod security_tests;
#[cfg(test)]
mod signin_tests;
