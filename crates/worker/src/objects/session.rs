//! `SessionObject`: one Durable Object per session, addressed by `sid`. It holds the session's
//! rotation state and runs the core's rotation rules ([`SessionRotation`]). Requests to one
//! object are serialized while storage is awaited, so reuse detection is exact and a session
//! never forks. The alarm deletes the state once it has expired (the session's end).

use edge_jwt_core::SessionRotation;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::calls::{serve, RemoteError, SessionCall, SessionReply};
use super::storage::{delete_expired, ObjectStore};
use crate::api::ApiError;
use crate::clock::WorkerClock;
use crate::kv::revocation_list;
use crate::settings;

/// The Durable Object binding.
pub const NAMESPACE: &str = "EDGE_JWT_SESSIONS";

#[durable_object]
pub struct SessionObject {
    state: State,
    env: Env,
}

impl DurableObject for SessionObject {
    fn new(state: State, env: Env) -> Self {
        SessionObject { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |call: SessionCall| self.run(call)).await
    }

    async fn alarm(&self) -> Result<Response> {
        delete_expired(&self.state.storage()).await?;
        Response::empty()
    }
}

impl SessionObject {
    async fn run(&self, call: SessionCall) -> std::result::Result<SessionReply, RemoteError> {
        let settings = settings::load(&self.env)?;
        let revocations = revocation_list(&self.env, settings.issuer.policy().leeway)?;
        let store = ObjectStore(self.state.storage());
        let rotation = SessionRotation {
            issuer: &settings.issuer,
            store: &store,
            revocations: &revocations,
            clock: &WorkerClock,
        };
        Ok(match call {
            SessionCall::Start {
                sid,
                request,
                min_iat,
            } => SessionReply::Pair(rotation.start(&sid, request, min_iat).await?),
            SessionCall::Refresh { claims, presented } => {
                SessionReply::Pair(rotation.refresh_presented(&claims, &presented).await?)
            }
            SessionCall::End { sid } => SessionReply::Changed(rotation.end(&sid).await?),
            SessionCall::EndForSubject { sid, cutoff } => {
                rotation.end_for_subject(&sid, cutoff).await?;
                SessionReply::Done
            }
            SessionCall::RevokeToken { jti, exp } => {
                SessionReply::Changed(rotation.revoke_token(&jti, exp).await?)
            }
            SessionCall::StoreConformance { prefix } => {
                if !settings.store_conformance {
                    return Err(ApiError::not_found().into());
                }
                let now = edge_jwt_core::Clock::now(&WorkerClock);
                let outcome = edge_jwt_core::conformance::check_store(&store, now, &prefix).await;
                SessionReply::Conformance(outcome.err())
            }
            SessionCall::Status { sid, refresh_jti } => {
                SessionReply::Status(rotation.status(&sid, refresh_jti.as_deref()).await?)
            }
        })
    }
}
