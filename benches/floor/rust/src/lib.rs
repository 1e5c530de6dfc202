//! The framework floor in workers-rs: idiomatic workers-rs answering a static JSON and doing
//! nothing else. `make bench` measures it beside the same Worker in JavaScript, so the table
//! shows what the framework costs before any token work.

use worker::{event, Context, Env, Headers, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    Ok(Response::ok(r#"{"keys":[]}"#)?.with_headers(headers))
}
