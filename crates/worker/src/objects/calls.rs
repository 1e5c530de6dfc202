//! The calls between the Worker and its Durable Objects, typed both ways: a struct per call,
//! whose reply type is its own, and the core's error carried back by its stable code. The
//! transport is the object's `fetch` (workers-rs has no RPC to Durable Objects), but nothing
//! HTTP-shaped crosses it: the body is the serialized call, the answer the serialized
//! `Result<reply, RemoteError>`, always with status 200.
//!
//! This is the bottom of the Worker's modules: it knows the core and nothing of the Worker's
//! own (the objects, the handlers and the bindings all build on it).

use edge_jwt_core::authorization::{
    Answerer, AuthorizationRequest, ClientOrigin, Consent, PendingView, Redemption,
};
use edge_jwt_core::{
    Error, ErrorCode, ListedSession, NewSession, Presentation, RefreshClaims, Registered,
    SessionStatus, TokenPair,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Request, Response};

/// The Durable Object classes a call may address (each bound under a name the Worker's
/// bindings give it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// `SessionObject`, one per session, by `sid`.
    Sessions,
    /// `SubjectObject`, one per subject, by `sub`.
    Subjects,
    /// `AuthorizationObject`, one per pending authorization, by its login challenge.
    Authorizations,
    /// `KeyObject`, one for the deployment ([`KEY_RING`]): the managed signing keys.
    Keys,
}

/// The name of the one key object.
pub const KEY_RING: &str = "ring";

/// Whatever reaches the objects: the Worker's bindings, or the tests' in-memory objects.
#[allow(async_fn_in_trait)] // single-threaded Workers: no Send bound wanted
pub trait ObjectCaller {
    /// Sends `call` to the object named `name` (a session's `sid`, a subject's `sub`; the call
    /// says which namespace) and returns its reply, of the call's own reply type.
    async fn call<C: ObjectCall>(&self, name: &str, call: C) -> Result<C::Reply, CallError>;
}

/// A call that failed: the object answered a core error, or it could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The object ran the call and answered this error.
    Remote(RemoteError),
    /// The namespace's binding is missing (a deployment without it).
    Unbound(&'static str),
    /// The object could not be reached or its answer read (logged, never sent).
    Transport(String),
}

impl From<CallError> for Error {
    /// Back in the core's terms, for an object calling another (a subject its sessions): the
    /// error's own kind when it crossed with a code the core has, a store fault otherwise.
    fn from(err: CallError) -> Self {
        match err {
            CallError::Remote(remote) => match remote.error_code() {
                Some(ErrorCode::SessionNotFound) => Error::SessionNotFound,
                Some(ErrorCode::RefreshTokenReused) => Error::RefreshTokenReused,
                _ => Error::StoreUnavailable(format!("object: {} {}", remote.code, remote.message)),
            },
            CallError::Unbound(binding) => {
                Error::StoreUnavailable(format!("{binding} is not bound"))
            }
            CallError::Transport(why) => Error::StoreUnavailable(why),
        }
    }
}

/// A call to a Durable Object, typed both ways: the call is a struct of its own, and its
/// answer is of the call's `Reply` type, so a handler gets exactly what it asked for.
pub trait ObjectCall: Sized {
    /// The object's class.
    const NAMESPACE: Namespace;
    /// What the object answers.
    type Reply: Serialize + DeserializeOwned;
    /// The call as it crosses to the object.
    type Envelope: Serialize;

    /// The call as it crosses to the object named `name`.
    fn envelope(self, name: &str) -> Self::Envelope;

    /// The object's answer to this call: of `Reply`'s type, checked where the object answers.
    fn reply(reply: Self::Reply) -> Result<serde_json::Value, RemoteError> {
        serde_json::to_value(reply)
            .map_err(|e| RemoteError::from(Error::Internal(format!("unencodable reply: {e}"))))
    }
}

/// Declares an object's calls: a struct per call, the enum they cross as (tagged `op`), and
/// each call's reply type.
macro_rules! object_calls {
    (
        $(#[$enum_doc:meta])* $calls:ident, crossing as $envelope:ty, for $namespace:path,
        wrap: |$call:ident, $name:ident| $wrap:expr;
        $($variant:ident => $reply:ty),+ $(,)?
    ) => {
        $(#[$enum_doc])*
        #[derive(Debug, Serialize, Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        pub enum $calls {
            $($variant($variant)),+
        }

        $(impl ObjectCall for $variant {
            const NAMESPACE: Namespace = $namespace;
            type Reply = $reply;
            type Envelope = $envelope;
            fn envelope(self, $name: &str) -> $envelope {
                let $call = $calls::$variant(self);
                $wrap
            }
        })+
    };
}
pub(crate) use object_calls;

/// Starts the session; `min_iat` comes from its subject's object.
#[derive(Debug, Serialize, Deserialize)]
pub struct Start {
    pub sid: String,
    pub request: NewSession,
    pub min_iat: u64,
}

/// Rotates a refresh token the Worker verified, presented with the DPoP proof the Worker
/// checked against the request (the object checks its binding and its `jti`): only the
/// Worker's own bindings reach an object, so signatures are checked once per request.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refresh {
    pub claims: RefreshClaims,
    pub presented: Presentation,
}

/// Ends the session (logout of this one session); answers whether it was live.
#[derive(Debug, Serialize, Deserialize)]
pub struct End {
    pub sid: String,
}

/// Revokes the session of a refresh token the Worker verified (RFC 7009), presented with the
/// DPoP proof the Worker checked against the request: a bound session needs its key. Answers
/// whether it was live.
#[derive(Debug, Serialize, Deserialize)]
pub struct Revoke {
    pub claims: RefreshClaims,
    pub presented: Presentation,
}

/// Ends the session for its subject's logout-everywhere at `cutoff`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EndForSubject {
    pub sid: String,
    pub cutoff: u64,
}

/// Revokes one of the session's access tokens; answers whether it was new.
#[derive(Debug, Serialize, Deserialize)]
pub struct RevokeToken {
    pub jti: String,
    pub exp: u64,
}

/// Runs the store contract against the object's storage, under `prefix` (tests only: the
/// object refuses unless the configuration turns it on); answers the first rule broken.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoreConformance {
    pub prefix: String,
}

/// The session's status, and whether `refresh_jti` (if given) still refreshes.
#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    pub sid: String,
    pub refresh_jti: Option<String>,
}

object_calls! {
    /// What the Worker (or a subject's object) asks of a session's object.
    SessionCall, crossing as SessionCall, for Namespace::Sessions,
    wrap: |call, _name| call;
    Start => TokenPair,
    Refresh => TokenPair,
    End => bool,
    Revoke => bool,
    EndForSubject => (),
    RevokeToken => bool,
    StoreConformance => Option<String>,
    Status => Option<SessionStatus>,
}

/// Registers a session with its subject; answers the session's `min_iat` and the sessions
/// evicted to make room for it, if any.
#[derive(Debug, Serialize, Deserialize)]
pub struct Register {
    pub sid: String,
    pub client_id: String,
}

/// Tells the subject that session `sid` is being refreshed at `at` (when
/// `refresh_notice_due`), before the refresh.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refreshed {
    pub sid: String,
    pub at: u64,
}

/// Tells the subject that session `sid` ended in its own object (revoked, or reuse).
#[derive(Debug, Serialize, Deserialize)]
pub struct Forget {
    pub sid: String,
}

/// Logs the subject out everywhere; answers the cutoff.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogOutEverywhere {}

/// The subject's live sessions.
#[derive(Debug, Serialize, Deserialize)]
pub struct Sessions {}

/// Ends one of the subject's sessions (`ERR_SESSION_NOT_FOUND` if it has no such session).
#[derive(Debug, Serialize, Deserialize)]
pub struct EndSession {
    pub sid: String,
}

object_calls! {
    /// What the Worker asks of a subject's object.
    SubjectOp, crossing as SubjectCall, for Namespace::Subjects,
    wrap: |op, sub| SubjectCall { sub: sub.to_owned(), op };
    Register => Registered,
    Refreshed => (),
    Forget => (),
    LogOutEverywhere => u64,
    Sessions => Vec<ListedSession>,
    EndSession => (),
}

/// Keeps a valid authorization request pending the user's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Begin {
    pub request: AuthorizationRequest,
    pub client_name: Option<String>,
    pub client_origin: ClientOrigin,
}

/// The pending request, for the app's consent screen.
#[derive(Debug, Serialize, Deserialize)]
pub struct Describe {}

/// The user consented; answers where to send the browser (with the code).
#[derive(Debug, Serialize, Deserialize)]
pub struct Accept {
    pub challenge: String,
    pub consent: Consent,
    /// Who answers (the app, within its scopes; or the demo), which bounds the answer.
    pub by: Answerer,
}

/// The user (or the app) refused; answers where to send the browser (with the error).
#[derive(Debug, Serialize, Deserialize)]
pub struct Reject {
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Redeems the code whose secret part is `secret`, once.
#[derive(Debug, Serialize, Deserialize)]
pub struct Redeem {
    pub secret: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub resource: Option<String>,
    pub proof_jkt: Option<String>,
}

/// Notes the session the code's first use started; `false`: it was used again meanwhile.
#[derive(Debug, Serialize, Deserialize)]
pub struct Started {
    pub sid: String,
}

object_calls! {
    /// What the Worker asks of an authorization's object.
    AuthorizationCall, crossing as AuthorizationCall, for Namespace::Authorizations,
    wrap: |call, _name| call;
    Begin => (),
    Describe => PendingView,
    Accept => String,
    Reject => String,
    Redeem => Redemption,
    Started => bool,
}

/// A call to a subject's object, for subject `sub` (an object does not know the name it was
/// addressed by).
#[derive(Debug, Serialize, Deserialize)]
pub struct SubjectCall {
    pub sub: String,
    #[serde(flatten)]
    pub op: SubjectOp,
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
                #[cfg(target_arch = "wasm32")]
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

impl RemoteError {
    /// The code, when it is one the core has (an object of another version may send others).
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
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

/// A value as it comes out on the other side of the transport (JSON text, either way), for the
/// tests of what crosses.
#[cfg(test)]
pub(crate) fn through_json<T: Serialize, R: DeserializeOwned>(value: &T) -> R {
    let text = serde_json::to_string(value).expect("serializable");
    serde_json::from_str(&text).expect("the same shape back")
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
