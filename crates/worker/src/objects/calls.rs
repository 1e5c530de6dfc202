//! The calls between the Worker and its Durable Objects, typed both ways: a call enum per
//! object, a reply per call, and the core's error carried back by its stable code. The
//! transport is the object's `fetch` (workers-rs has no RPC to Durable Objects), but nothing
//! HTTP-shaped crosses it: the body is the serialized call, the answer the serialized
//! `Result<reply, RemoteError>`, always with status 200.

use edge_jwt_core::{Error, NewSession, Presentation, RefreshClaims, SessionStatus, TokenPair};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit, Response};

use crate::api::ApiError;

/// What the Worker (or a subject's object) asks of a session's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SessionCall {
    /// Starts the session; `min_iat` comes from its subject's object.
    Start {
        sid: String,
        request: NewSession,
        min_iat: u64,
    },
    /// Rotates a refresh token the Worker verified, presented with the DPoP proof the Worker
    /// checked against the request (the object checks its binding and its `jti`): only the
    /// Worker's own bindings reach an object, so signatures are checked once per request.
    Refresh {
        claims: RefreshClaims,
        presented: Presentation,
    },
    /// Ends the session (logout of this one session).
    End { sid: String },
    /// Ends the session for its subject's logout-everywhere at `cutoff`.
    EndForSubject { sid: String, cutoff: u64 },
    /// Revokes one of the session's access tokens.
    RevokeToken { jti: String, exp: u64 },
    /// Runs the store contract against this object's storage, under `prefix` (tests only: the
    /// object refuses unless the configuration turns it on).
    StoreConformance { prefix: String },
    /// The session's status, and whether `refresh_jti` (if given) still refreshes.
    Status {
        sid: String,
        refresh_jti: Option<String>,
    },
}

/// What a session's object answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionReply {
    Pair(TokenPair),
    /// Whether the call changed anything (a session ended, a token revoked, the first time).
    Changed(bool),
    Done,
    Status(Option<SessionStatus>),
    /// The store contract's outcome: `None` kept, or the first rule broken.
    Conformance(Option<String>),
}

/// What the Worker asks of a subject's object, for subject `sub` (an object does not know the
/// name it was addressed by).
#[derive(Debug, Serialize, Deserialize)]
pub struct SubjectCall {
    pub sub: String,
    #[serde(flatten)]
    pub op: SubjectOp,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SubjectOp {
    Register { sid: String, client_id: String },
    LogOutEverywhere,
    Sessions,
    EndSession { sid: String },
}

/// What a subject's object answers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectReply {
    /// The `min_iat` of a registered session.
    MinIat(u64),
    /// The cutoff of a logout-everywhere.
    Cutoff(u64),
    Sessions(Vec<SessionStatus>),
    Done,
}

/// A core error, as it crosses from an object to the Worker: its stable code and message.
/// Store and internal details stay in the object's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteError {
    pub code: String,
    pub message: String,
}

impl From<Error> for RemoteError {
    fn from(err: Error) -> Self {
        let message = match &err {
            Error::StoreUnavailable(_) | Error::Internal(_) => {
                worker::console_error!("edge-jwt: {err}");
                String::new()
            }
            other => other.to_string(),
        };
        RemoteError {
            code: err.code().to_owned(),
            message,
        }
    }
}

/// An object's own setup failing (a setting, a binding): a fault of the issuer, as the core
/// names them. Its description stays in the object's log.
impl From<ApiError> for RemoteError {
    fn from(err: ApiError) -> Self {
        RemoteError::from(Error::Internal(err.error_description))
    }
}

/// How an object answers: reads the whole call (before any state, so requests to one object
/// stay serialized), runs it, and answers its result, always with status 200.
pub async fn serve<C, R, F>(mut req: Request, run: impl FnOnce(C) -> F) -> worker::Result<Response>
where
    C: DeserializeOwned,
    R: Serialize,
    F: std::future::Future<Output = Result<R, RemoteError>>,
{
    let result = match req.json::<C>().await {
        Ok(call) => run(call).await,
        Err(e) => Err(RemoteError::from(Error::Internal(format!(
            "unreadable object call: {e}"
        )))),
    };
    Response::from_json(&result)
}

/// A Durable Object of `namespace`, by name.
pub struct ObjectRef<'a> {
    pub env: &'a Env,
    pub namespace: &'static str,
    pub name: &'a str,
}

impl ObjectRef<'_> {
    /// Sends `call` and returns the object's reply, or its error.
    pub async fn call<C: Serialize, R: DeserializeOwned>(&self, call: &C) -> Result<R, ApiError> {
        let stub = self
            .env
            .durable_object(self.namespace)
            .and_then(|ns| ns.id_from_name(self.name)?.get_stub())
            .map_err(|_| ApiError::misconfigured(self.namespace, "is not bound"))?;
        let body = serde_json::to_string(call).map_err(|e| ApiError::internal(&e))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init("https://object.internal/", &init)
            .map_err(|e| ApiError::unavailable(&e))?;
        let mut response = stub
            .fetch_with_request(request)
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        let result: Result<R, RemoteError> = response
            .json()
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        result.map_err(ApiError::from)
    }
}

impl From<RemoteError> for ApiError {
    fn from(err: RemoteError) -> Self {
        ApiError::from_code(&err.code, err.message, crate::api::error::Presented::Grant)
    }
}
