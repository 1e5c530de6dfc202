//! `AuthorizationObject`: one Durable Object per login challenge, addressed by the id its
//! sealed challenge carries. It records the challenge's one answer: requests to one object are
//! serialized, so a challenge is answered once, exactly, in every location. Nothing else of the
//! flow is stored: the request rides sealed in the challenge, the grant in the code.

use edge_jwt_core::authorization::Answers;
use edge_jwt_core::{Clock, Store};

use super::shell::{durable_object_class, ObjectContext};
use crate::calls::{Answered, AuthorizationCall, ObjectCall, RecordAnswer, WasAnswered};
use crate::clock::WorkerClock;

durable_object_class!(AuthorizationObject serves AuthorizationCall, expiring);

impl AuthorizationObject {
    async fn run(context: ObjectContext<'_>, call: AuthorizationCall) -> Answered {
        let answers = Answers {
            store: &context.store,
            clock: &WorkerClock,
        };
        answer(call, &answers).await
    }
}

/// One call to an authorization's object: the rules are the core's, and each answer is of its
/// call's reply type.
pub async fn answer<S: Store, C: Clock>(
    call: AuthorizationCall,
    answers: &Answers<'_, S, C>,
) -> Answered {
    match call {
        AuthorizationCall::RecordAnswer(c) => {
            RecordAnswer::reply(answers.answer(c.expires_at).await?)
        }
        AuthorizationCall::WasAnswered(_) => WasAnswered::reply(answers.answered().await?),
    }
}
