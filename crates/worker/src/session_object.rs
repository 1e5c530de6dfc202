//! `SessionObject`: one Durable Object per session, addressed by `sid`. It holds the session's
//! rotation state and runs the core's rotation rules. Requests to one object are serialized
//! while storage is awaited, so reuse detection is exact and a session never forks.
//! An alarm deletes the state once every entry has expired (the session's absolute end).

use edge_jwt_core::{Clock, RefreshClaims, RevocationList, Sessions, Store, StoreError};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State, Storage};

use crate::api::{responses::SessionRequest, ApiError};
use crate::clock::WorkerClock;
use crate::kv::{KvRevocations, BINDING};
use crate::{http, settings};

/// The Durable Object binding.
pub const NAMESPACE: &str = "EDGE_JWT_SESSIONS";

#[durable_object]
pub struct SessionObject {
    state: State,
    env: Env,
}

/// A value and its expiry, as kept in the object's storage.
#[derive(Serialize, Deserialize)]
struct Entry {
    value: String,
    expires_at: u64,
}

/// The core's [`Store`] over the object's own (SQLite-backed) storage.
struct ObjectStore(Storage);

impl Store for ObjectStore {
    async fn get(&self, key: &str) -> std::result::Result<Option<String>, StoreError> {
        let entry: Option<Entry> = self
            .0
            .get(key)
            .await
            .map_err(|e| StoreError(format!("Durable Object get: {e}")))?;
        Ok(entry
            .filter(|e| e.expires_at > WorkerClock.now())
            .map(|e| e.value))
    }

    async fn put(
        &self,
        key: &str,
        value: &str,
        expires_at: u64,
    ) -> std::result::Result<(), StoreError> {
        let entry = Entry {
            value: value.to_owned(),
            expires_at,
        };
        self.0
            .put(key, entry)
            .await
            .map_err(|e| StoreError(format!("Durable Object put: {e}")))?;
        // The alarm removes the state when it expires; every entry here expires together.
        let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(expires_at as f64 * 1000.0));
        self.0
            .set_alarm(worker::ScheduledTime::new(at))
            .await
            .map_err(|e| StoreError(format!("Durable Object alarm: {e}")))
    }
}

/// What the Worker asks of a session's object. Refresh tokens arrive as the claims the Worker
/// verified to find this object: only the Worker's own binding reaches a Durable Object, so
/// the signature is checked once per request, not twice.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SessionCall {
    Start {
        sid: String,
        client_id: String,
        body: String,
    },
    Refresh {
        claims: RefreshClaims,
    },
    End {
        claims: RefreshClaims,
    },
}

impl DurableObject for SessionObject {
    fn new(state: State, env: Env) -> Self {
        SessionObject { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // The whole body is read before any state is: see the module comment.
        let call: SessionCall = match req.json().await {
            Ok(call) => call,
            Err(_) => return http::error(&ApiError::invalid_request("bad internal call")),
        };
        match self.run(call).await {
            Ok(response) => Ok(response),
            Err(err) => http::error(&err),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let now = WorkerClock.now();
        let entries = storage.list().await?;
        let mut remaining: Option<u64> = None;
        for key in entries.keys() {
            let key = key?.as_string().unwrap_or_default();
            let entry: Option<Entry> = storage.get(&key).await?;
            match entry {
                Some(e) if e.expires_at > now => {
                    remaining = Some(remaining.map_or(e.expires_at, |r| r.min(e.expires_at)))
                }
                _ => {
                    storage.delete(&key).await?;
                }
            }
        }
        if let Some(next) = remaining {
            let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(next as f64 * 1000.0));
            storage.set_alarm(worker::ScheduledTime::new(at)).await?;
        }
        Response::empty()
    }
}

impl SessionObject {
    async fn run(&self, call: SessionCall) -> std::result::Result<Response, ApiError> {
        let settings = settings::load(&self.env)?;
        let kv = self
            .env
            .kv(BINDING)
            .map_err(|_| ApiError::misconfigured(BINDING, "is not bound"))?;
        let revocations = RevocationList::new(KvRevocations(kv), settings.issuer.policy().leeway);
        let store = ObjectStore(self.state.storage());
        let sessions = Sessions {
            issuer: &settings.issuer,
            sessions: &store,
            revocations: &revocations,
            clock: &WorkerClock,
        };
        let grant =
            |e: edge_jwt_core::Error| ApiError::from_core(&e, crate::api::error::Presented::Grant);
        match call {
            SessionCall::Start {
                sid,
                client_id,
                body,
            } => {
                let request = SessionRequest::parse(body.as_bytes(), client_id)?;
                let pair = sessions.start(&sid, request).await.map_err(grant)?;
                http::tokens(201, &pair)
            }
            SessionCall::Refresh { claims } => {
                let pair = sessions.refresh_verified(&claims).await.map_err(grant)?;
                http::tokens(200, &pair)
            }
            SessionCall::End { claims } => {
                sessions.end(&claims).await.map_err(grant)?;
                http::empty(200)
            }
        }
    }
}
