//! `SubjectObject`: one Durable Object per subject, addressed by `sub`. It holds the subject's
//! logout-everywhere cutoff and its live sessions ([`Subject`]), so that starting a session
//! and logging the subject out are serialized, and a logout ends every session in its own
//! object before it answers.

use edge_jwt_core::{Clock, Error, RevocationList, SessionControl, Store, Subject};

use super::shell::{durable_object_class, ObjectContext};
use crate::calls::{
    Answered, End, EndForSubject, EndSession, Forget, LogOutEverywhere, ObjectCall, ObjectCaller,
    Refreshed, Register, RememberConsent, Remembered, RemoteError, Sessions, SubjectCall,
    SubjectOp,
};
use crate::clock::WorkerClock;
use edge_jwt_core::signin::RememberedConsent;

durable_object_class!(SubjectObject serves SubjectCall, expiring);

impl SubjectObject {
    async fn run(context: ObjectContext<'_>, call: SubjectCall) -> Answered {
        let settings = context.settings().await?;
        let policy = settings.issuer.policy();
        let subject = Subject {
            sub: &call.sub,
            store: &context.store,
            policy,
            clock: &WorkerClock,
        };
        let sessions = ObjectSessions(&context.bindings);
        let revocations = || Ok(context.bindings.revocation_list(policy.leeway)?);
        answer(call.op, &subject, &sessions, revocations).await
    }
}

/// One call to a subject's object, over the subject's store and its sessions (`sessions`: each
/// in its own object; `revocations`: the revocation list, opened only for a logout): the rules
/// are the core's, and each answer is of its call's reply type (`ObjectCall::reply`).
pub async fn answer<S: Store, C: Clock, X: SessionControl, R: Store>(
    call: SubjectOp,
    subject: &Subject<'_, S, C>,
    sessions: &X,
    revocations: impl FnOnce() -> Result<RevocationList<R>, RemoteError>,
) -> Answered {
    match call {
        SubjectOp::Register(c) => {
            Register::reply(subject.register(&c.sid, &c.client_id, sessions).await?)
        }
        SubjectOp::Refreshed(c) => Refreshed::reply(subject.refreshed(&c.sid, c.at).await?),
        SubjectOp::Forget(c) => Forget::reply(subject.forget(&c.sid).await?),
        SubjectOp::LogOutEverywhere(_) => {
            let revocations = revocations()?;
            LogOutEverywhere::reply(subject.log_out_everywhere(sessions, &revocations).await?)
        }
        SubjectOp::Sessions(_) => Sessions::reply(subject.sessions().await?),
        SubjectOp::EndSession(c) => EndSession::reply(subject.end_session(&c.sid, sessions).await?),
        SubjectOp::RememberConsent(c) => {
            let text =
                serde_json::to_string(&c.consent).map_err(|e| Error::Internal(e.to_string()))?;
            let key = RememberedConsent::key(&c.client_id);
            RememberConsent::reply(
                subject
                    .store
                    .put(&key, &text, c.until)
                    .await
                    .map_err(Error::from)?,
            )
        }
        SubjectOp::Remembered(c) => {
            let kept = subject
                .store
                .get(&RememberedConsent::key(&c.client_id))
                .await;
            let kept = kept.map_err(Error::from)?;
            Remembered::reply(kept.and_then(|text| serde_json::from_str(&text).ok()))
        }
    }
}

/// The subject's sessions, each in its own object, reached by typed calls through an
/// [`ObjectCaller`] (the Worker's bindings, or the handlers' tests' in-memory objects); a
/// failed call comes back in the core's terms.
pub struct ObjectSessions<'a, O>(pub &'a O);

impl<O: ObjectCaller> SessionControl for ObjectSessions<'_, O> {
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> Result<(), Error> {
        let call = EndForSubject {
            sid: sid.to_owned(),
            cutoff,
        };
        Ok(self.0.call(sid, call).await?)
    }

    async fn end(&self, sid: &str) -> Result<bool, Error> {
        let call = End {
            sid: sid.to_owned(),
        };
        Ok(self.0.call(sid, call).await?)
    }
}
