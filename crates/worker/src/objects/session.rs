//! `SessionObject`: one Durable Object per session, addressed by `sid`. It holds the session's
//! rotation state and runs the core's rotation rules ([`SessionRotation`]). Requests to one
//! object are serialized while storage is awaited, so reuse detection is exact and a session
//! never forks. A session an authorization code starts records its login challenge's one answer
//! here first, so the answer and the code's single use are exact in one object. The alarm
//! deletes the state once it has expired (the session's end).

use edge_jwt_core::authorization::Answers;
use edge_jwt_core::{Clock, Error, SessionRotation, Store};

use super::shell::{durable_object_class, ObjectContext};
use crate::calls::{
    Answered, End, EndForSubject, Keep, Kept, ObjectCall, RecordAnswer, Refresh, Revoke,
    RevokeToken, SessionCall, Start, StartOnce, Status, StoreConformance, UseOnce, WasAnswered,
};
use crate::clock::WorkerClock;

durable_object_class!(SessionObject serves SessionCall, expiring);

impl SessionObject {
    async fn run(context: ObjectContext<'_>, call: SessionCall) -> Answered {
        let settings = context.settings().await?;
        let revocations = context
            .bindings
            .revocation_list(settings.issuer.policy().leeway)?;
        let rotation = SessionRotation {
            issuer: &settings.issuer,
            store: &context.store,
            revocations: &revocations,
            clock: &WorkerClock,
        };
        answer(call, &rotation, settings.store_conformance).await
    }
}

/// One call to a session's object, over its rotation (its store, the revocation list, a
/// clock): the rules are the core's, and each answer is of its call's reply type
/// (`ObjectCall::reply`). `store_conformance` lets the tests-only call run.
pub async fn answer<S: Store, R: Store, C: Clock>(
    call: SessionCall,
    rotation: &SessionRotation<'_, S, R, C>,
    store_conformance: bool,
) -> Answered {
    match call {
        SessionCall::Start(c) => Start::reply(rotation.start(&c.sid, c.request, c.min_iat).await?),
        SessionCall::StartOnce(c) => {
            StartOnce::reply(rotation.start_once(&c.sid, c.request, c.min_iat).await?)
        }
        SessionCall::RecordAnswer(c) => {
            RecordAnswer::reply(answers(rotation).answer(c.expires_at).await?)
        }
        SessionCall::WasAnswered(_) => WasAnswered::reply(answers(rotation).answered().await?),
        SessionCall::Refresh(c) => {
            Refresh::reply(rotation.refresh_presented(&c.claims, &c.presented).await?)
        }
        SessionCall::End(c) => End::reply(rotation.end(&c.sid).await?),
        SessionCall::Revoke(c) => {
            Revoke::reply(rotation.revoke_presented(&c.claims, &c.presented).await?)
        }
        SessionCall::EndForSubject(c) => {
            EndForSubject::reply(rotation.end_for_subject(&c.sid, c.cutoff).await?)
        }
        SessionCall::RevokeToken(c) => {
            RevokeToken::reply(rotation.revoke_token(&c.jti, c.exp).await?)
        }
        SessionCall::StoreConformance(c) => {
            if !store_conformance {
                let off = Error::Internal("the store contract is off in this configuration".into());
                return Err(off.into());
            }
            let now = rotation.clock.now();
            let outcome =
                edge_jwt_core::conformance::check_store(rotation.store, now, &c.prefix).await;
            StoreConformance::reply(outcome.err())
        }
        SessionCall::Status(c) => {
            Status::reply(rotation.status(&c.sid, c.refresh_jti.as_deref()).await?)
        }
        SessionCall::UseOnce(c) => {
            let first = edge_jwt_core::store::use_once(rotation.store, &c.key, c.until).await;
            UseOnce::reply(first.map_err(Error::from)?)
        }
        SessionCall::Keep(c) => {
            let kept = rotation.store.put(&c.key, &c.value, c.until).await;
            Keep::reply(kept.map_err(Error::from)?)
        }
        SessionCall::Kept(c) => Kept::reply(rotation.store.get(&c.key).await.map_err(Error::from)?),
    }
}

/// The login challenge's answers, kept in the store of the session its code will start.
fn answers<'a, S: Store, R: Store, C: Clock>(
    rotation: &'a SessionRotation<'_, S, R, C>,
) -> Answers<'a, S, C> {
    Answers {
        store: rotation.store,
        clock: rotation.clock,
    }
}
