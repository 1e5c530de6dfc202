//! The Worker's edge: the runtime's request into the handlers' plain one, the bindings as a
//! [`Platform`], the handlers' answer into the runtime's response. Nothing here knows a rule.

use futures_util::StreamExt as _;
use worker::{Env, Headers, Request, Response};

use crate::api::form::MAX_BODY;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::clock::WorkerClock;
use crate::handlers;
use crate::kv::{self, KvRevocations};
use crate::objects::calls::{ObjectCall, ObjectRef};
use crate::platform::Platform;
use crate::settings;

/// The unauthenticated endpoints' per-address limit (`[[ratelimits]]` in wrangler.toml).
const RATE_LIMIT: &str = "EDGE_JWT_RATE_LIMIT";

/// The headers the handlers read: nothing else crosses from the runtime.
const HEADERS: [&str; 5] = [
    "authorization",
    "content-type",
    "dpop",
    "origin",
    "cf-connecting-ip",
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
        url: req.inner().url(),
        path: req.path(),
        headers,
        body: WorkerBody(req),
    };
    let settings = settings::load(&env);
    let reply = handlers::handle(incoming, &WorkerPlatform { env: &env }, &settings).await;
    response(reply)
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

/// The Worker's bindings.
pub struct WorkerPlatform<'a> {
    pub env: &'a Env,
}

impl Platform for WorkerPlatform<'_> {
    type Revocations = KvRevocations;

    async fn call<C: ObjectCall>(&self, name: &str, call: C) -> Result<C::Reply, ApiError> {
        ObjectRef {
            env: self.env,
            name,
        }
        .call(call)
        .await
    }

    fn revocations(
        &self,
        leeway: u64,
    ) -> Result<edge_jwt_core::RevocationList<KvRevocations>, ApiError> {
        kv::revocation_list(self.env, leeway)
    }

    /// Without the binding (a deployment that removed it), nothing is limited.
    async fn within_limit(&self, address: &str) -> Result<bool, ApiError> {
        let Ok(limiter) = self.env.rate_limiter(RATE_LIMIT) else {
            return Ok(true);
        };
        let outcome = limiter
            .limit(address.to_owned())
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        Ok(outcome.success)
    }

    fn now(&self) -> u64 {
        edge_jwt_core::Clock::now(&WorkerClock)
    }

    fn log(&self, line: &str) {
        worker::console_log!("{line}");
    }
}
