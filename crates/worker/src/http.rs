//! Moving bytes between the API layer and the Worker runtime: bodies with a size limit, JSON
//! answers with the right headers.

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
    json(status, pair).map_err(internal)
}

pub fn empty(status: u16) -> std::result::Result<Response, ApiError> {
    Response::empty()
        .map(|r| r.with_status(status))
        .and_then(|r| Ok(r.with_headers(headers(None)?)))
        .map_err(internal)
}

/// A runtime failure (not a client's fault, not a token's): 503, details kept out.
pub fn internal(e: worker::Error) -> ApiError {
    worker::console_error!("edge-jwt: runtime error: {e}");
    ApiError::new(
        503,
        "temporarily_unavailable",
        "the issuer could not complete the request",
    )
}

pub fn error(err: &ApiError) -> Result<Response> {
    let headers = headers(Some("application/json;charset=UTF-8"))?;
    if let Some(challenge) = err.www_authenticate {
        headers.set("WWW-Authenticate", challenge)?;
    }
    if let Some(allow) = err.allow {
        headers.set("Allow", allow)?;
    }
    Ok(Response::ok(err.to_json())?
        .with_status(err.status)
        .with_headers(headers))
}

/// The request body, refused with 413 past [`MAX_BODY`] (by header first, then by size).
pub async fn body(req: &mut Request) -> std::result::Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError::too_large(MAX_BODY));
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::invalid_request("unreadable request body"))?;
    if bytes.len() > MAX_BODY {
        return Err(ApiError::too_large(MAX_BODY));
    }
    Ok(bytes)
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}
