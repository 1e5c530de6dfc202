//! The Worker's edge: the runtime's request into the handlers' plain one, the handlers'
//! answer into the runtime's response, over the Worker's bindings. Nothing here knows a rule.

use futures_util::StreamExt as _;
use worker::{Env, Headers, Request, Response};

use crate::api::form::MAX_BODY;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::bindings::{forget_key_ring, Bindings};
use crate::calls::{KeyMoves, Step};
use crate::calls::{ObjectCaller as _, KEY_RING};
use crate::handlers::keys;
use crate::routes;

/// The headers the handlers read: nothing else crosses from the runtime.
const HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "dpop",
    "origin",
    "cf-connecting-ip",
    // The sign-in's cookie (`/signin`): what binds a sign-in to its browser.
    "cookie",
];

/// Handles one request; always answers.
pub async fn handle(req: Request, env: Env) -> worker::Result<Response> {
    let headers = HEADERS
        .iter()
        .filter_map(|name| {
            let value = req.headers().get(name).ok().flatten()?;
            Some(((*name).to_owned(), value))
        })
        .collect();
    let incoming = Incoming {
        method: req.method().to_string(),
        // The URL as the runtime's text: `Request::url` would parse it with the `url` crate, whose
        // IDNA tables would add much to the Worker's upload (the core compares URLs itself).
        url: req.inner().url(),
        path: req.path(),
        headers,
        body: WorkerBody(req),
    };
    let bindings = Bindings { env: &env };
    let reply = routes::handle(incoming, &bindings, &bindings.current_settings().await).await;
    response(reply)
}

/// The Cron Trigger's run: with managed keys, the key ring moves on when due (idempotent: a
/// run that finds nothing due changes nothing), and each key that starts signing is logged.
pub async fn scheduled(env: Env) {
    let bindings = Bindings { env: &env };
    if !bindings.managed_keys() {
        return;
    }
    let moved: KeyMoves = match bindings.call(KEY_RING, Step {}).await {
        Ok(moved) => moved,
        Err(err) => return worker::console_error!("the key ring could not be moved on: {err:?}"),
    };
    forget_key_ring();
    keys::report(&bindings, None, &moved);
}

fn response(reply: Reply) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        headers.append(name, value)?;
    }
    let response = if reply.body.is_empty() {
        Response::empty()?
    } else {
        Response::ok(reply.body)?
    };
    Ok(response.with_status(reply.status).with_headers(headers))
}

/// The runtime's request body, read chunk by chunk and refused with 413 as soon as it passes
/// [`MAX_BODY`] (by `Content-Length` first, when there is one): never buffered whole.
struct WorkerBody(Request);

impl Body for WorkerBody {
    async fn read(&mut self) -> Result<Vec<u8>, ApiError> {
        let declared = self
            .0
            .headers()
            .get("Content-Length")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY) {
            return Err(ApiError::too_large(MAX_BODY));
        }
        let Ok(mut stream) = self.0.stream() else {
            return Ok(Vec::new()); // no body at all
        };
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ApiError::invalid_request("unreadable request body"))?;
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ApiError::too_large(MAX_BODY));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
