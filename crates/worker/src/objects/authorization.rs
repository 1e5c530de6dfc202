//! `AuthorizationObject`: one Durable Object per pending authorization, addressed by its login
//! challenge. It holds the request until the user's app answers, then the code until it is
//! redeemed: requests to one object are serialized, so a challenge is answered once and a code
//! redeemed once, exactly, in every location.

use edge_jwt_core::authorization::{Authorization, CodeExchange};
use edge_jwt_core::{Clock, Store};

use super::shell::{durable_object_class, ObjectContext};
use crate::calls::{
    Accept, Answered, AuthorizationCall, Begin, Describe, ObjectCall, Redeem, Reject, Started,
};
use crate::clock::WorkerClock;

durable_object_class!(AuthorizationObject serves AuthorizationCall, expiring);

impl AuthorizationObject {
    async fn run(context: ObjectContext<'_>, call: AuthorizationCall) -> Answered {
        let settings = context.settings().await?;
        let authorization = Authorization {
            store: &context.store,
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
) -> Answered {
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
