//! The calls between the Worker and its Durable Objects, typed both ways: a struct per call,
//! whose reply type is its own, and the core's error carried back by its stable code. The
//! transport is the object's `fetch` (workers-rs has no RPC to Durable Objects), but nothing
//! HTTP-shaped crosses it: the body is the serialized call, the answer the serialized
//! `Result<reply, RemoteError>`, always with status 200.
//!
//! This is the bottom of the Worker's modules: it knows the core and nothing of the Worker's
//! own (the objects, the handlers and the bindings all build on it). A file per object's
//! calls: `session`, `subject`, `keys`.

use edge_jwt_core::{Error, ErrorCode};
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
// The files of each object's calls below use it by its textual scope.
/// What an object answers a call: the reply (as JSON, of the call's own type) or the error.
pub type Answered = Result<serde_json::Value, RemoteError>;

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
mod tests;

pub mod keys;
pub mod session;
pub mod subject;

pub use keys::*;
pub use session::*;
pub use subject::*;
