//! `AuthorizationObject`: one Durable Object per pending authorization, addressed by its login
//! challenge. It holds the request until the user's app answers, then the code until it is
//! redeemed: requests to one object are serialized, so a challenge is answered once and a code
//! redeemed once, exactly, in every location.

use edge_jwt_core::authorization::{Authorization, CodeExchange};
use edge_jwt_core::{Clock, Store};
use serde_json::Value;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::storage::{delete_expired, ObjectStore};
use crate::bindings::Bindings;
use crate::calls::{
    serve, Accept, AuthorizationCall, Begin, Describe, ObjectCall, Redeem, Reject, RemoteError,
    Started,
};
use crate::clock::WorkerClock;

#[durable_object]
pub struct AuthorizationObject {
    state: State,
    env: Env,
}

impl DurableObject for AuthorizationObject {
    fn new(state: State, env: Env) -> Self {
        AuthorizationObject { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |call: AuthorizationCall| self.run(call)).await
    }

    async fn alarm(&self) -> Result<Response> {
        delete_expired(&self.state.storage()).await?;
        Response::empty()
    }
}

impl AuthorizationObject {
    async fn run(&self, call: AuthorizationCall) -> std::result::Result<Value, RemoteError> {
        let settings = Bindings { env: &self.env }.object_settings().await?;
        let store = ObjectStore(self.state.storage());
        let authorization = Authorization {
            store: &store,
            clock: &WorkerClock,
            issuer: &settings.issuer.policy().issuer,
        };
        answer(call, &authorization).await
    }
}

/// One call to an authorization's object: the rules are the core's, and each answer is of its
/// call's reply type.
pub async fn answer<S: Store, C: Clock>(
    call: AuthorizationCall,
    authorization: &Authorization<'_, S, C>,
) -> std::result::Result<Value, RemoteError> {
    match call {
        AuthorizationCall::Begin(c) => Begin::reply(
            authorization
                .begin(c.request, c.client_name, c.client_origin)
                .await?,
        ),
        AuthorizationCall::Describe(_) => Describe::reply(authorization.describe().await?),
        AuthorizationCall::Accept(c) => {
            Accept::reply(authorization.accept(&c.challenge, c.consent, &c.by).await?)
        }
        AuthorizationCall::Reject(c) => Reject::reply(
            authorization
                .reject(c.error.as_deref(), c.error_description.as_deref())
                .await?,
        ),
        AuthorizationCall::Redeem(c) => {
            let exchange = CodeExchange {
                client_id: &c.client_id,
                redirect_uri: &c.redirect_uri,
                code_verifier: &c.code_verifier,
                resource: c.resource.as_deref(),
                proof_jkt: c.proof_jkt.as_deref(),
            };
            Redeem::reply(authorization.redeem(&c.secret, exchange).await?)
        }
        AuthorizationCall::Started(c) => Started::reply(authorization.started(&c.sid).await?),
    }
}
