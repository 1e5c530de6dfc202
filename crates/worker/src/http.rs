//! Moving bytes between the API layer and the Worker runtime: bodies read up to a size limit,
//! JSON answers with the right headers, CORS.

use futures_util::StreamExt as _;
use serde::Serialize;
use worker::{Headers, Request, Response, Result};

use crate::api::form::MAX_BODY;
use crate::api::ApiError;

fn headers(content_type: Option<&str>) -> Result<Headers> {
    let headers = Headers::new();
    if let Some(content_type) = content_type {
        headers.set("Content-Type", content_type)?;
    }
    // Tokens and errors about them are never cached (RFC 6749 §5.1).
    headers.set("Cache-Control", "no-store")?;
    headers.set("Pragma", "no-cache")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(headers)
}

pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    let text = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(Response::ok(text)?
        .with_status(status)
        .with_headers(headers(Some("application/json;charset=UTF-8"))?))
}

pub fn tokens<T: Serialize>(status: u16, pair: &T) -> std::result::Result<Response, ApiError> {
    json(status, pair).map_err(|e| ApiError::internal(&e))
}

pub fn empty(status: u16) -> std::result::Result<Response, ApiError> {
    Response::empty()
        .map(|r| r.with_status(status))
        .and_then(|r| Ok(r.with_headers(headers(None)?)))
        .map_err(|e| ApiError::internal(&e))
}

/// JSON that caches may keep (public keys, metadata): five minutes.
pub fn public_json(text: String) -> std::result::Result<Response, ApiError> {
    let headers = Headers::new();
    headers
        .set("Content-Type", "application/json;charset=UTF-8")
        .and_then(|_| headers.set("Cache-Control", "public, max-age=300"))
        .and_then(|_| Response::ok(text))
        .map(|r| r.with_headers(headers))
        .map_err(|e| ApiError::internal(&e))
}

pub fn error(err: &ApiError) -> Result<Response> {
    let headers = headers(Some("application/json;charset=UTF-8"))?;
    if let Some(challenge) = err.www_authenticate {
        headers.set("WWW-Authenticate", challenge)?;
    }
    if let Some(allow) = err.allow {
        headers.set("Allow", allow)?;
    }
    if let Some(seconds) = err.retry_after {
        headers.set("Retry-After", seconds)?;
    }
    Ok(Response::ok(err.to_json())?
        .with_status(err.status)
        .with_headers(headers))
}

/// CORS for an allowed origin; `Vary: Origin` on every answer, since whether these headers
/// are there depends on it (and shared caches keep the public JSON).
pub fn cors(response: Response, allowed_origin: Option<&str>) -> Result<Response> {
    let headers = response.headers().clone();
    headers.append("Vary", "Origin")?;
    if let Some(origin) = allowed_origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
        headers.set(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, DPoP",
        )?;
        headers.set(
            "Access-Control-Expose-Headers",
            "DPoP-Nonce, WWW-Authenticate",
        )?;
        headers.set("Access-Control-Max-Age", "600")?;
    }
    Ok(response.with_headers(headers))
}

/// The request body, read chunk by chunk and refused with 413 as soon as it passes
/// [`MAX_BODY`] (by `Content-Length` first, when there is one): never buffered whole.
pub async fn body(req: &mut Request) -> std::result::Result<Vec<u8>, ApiError> {
    let declared = header(req, "Content-Length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError::too_large(MAX_BODY));
    }
    let Ok(mut stream) = req.stream() else {
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

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}
