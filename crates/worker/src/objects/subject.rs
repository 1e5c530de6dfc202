//! `SubjectObject`: one Durable Object per subject, addressed by `sub`. It holds the subject's
//! logout-everywhere cutoff and its live sessions ([`Subject`]), so that starting a session
//! and logging the subject out are serialized, and a logout ends every session in its own
//! object before it answers.

use edge_jwt_core::{Clock, Error, Policy, RevocationList, SessionControl, Store, Subject};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use serde_json::Value;

use super::storage::{delete_expired, ObjectStore};
use crate::bindings::Bindings;
use crate::calls::{
    serve, End, EndForSubject, EndSession, Forget, LogOutEverywhere, ObjectCall, ObjectCaller,
    Refreshed, Register, RemoteError, Sessions, SubjectCall, SubjectOp,
};
use crate::clock::WorkerClock;

#[durable_object]
pub struct SubjectObject {
    state: State,
    env: Env,
}

impl DurableObject for SubjectObject {
    fn new(state: State, env: Env) -> Self {
        SubjectObject { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |call: SubjectCall| async move {
            self.run(&call.sub, call.op).await
        })
        .await
    }

    async fn alarm(&self) -> Result<Response> {
        delete_expired(&self.state.storage()).await?;
        Response::empty()
    }
}

impl SubjectObject {
    async fn run(&self, sub: &str, call: SubjectOp) -> std::result::Result<Value, RemoteError> {
        let bindings = Bindings { env: &self.env };
        let settings = bindings.object_settings().await?;
        let policy: &Policy = settings.issuer.policy();
        let store = ObjectStore(self.state.storage());
        let subject = Subject {
            sub,
            store: &store,
            policy,
            clock: &WorkerClock,
        };
        let sessions = ObjectSessions(&bindings);
        let revocations = || {
            bindings
                .revocation_list(policy.leeway)
                .map_err(|e| RemoteError::from(Error::Internal(e.error_description)))
        };
        answer(call, &subject, &sessions, revocations).await
    }
}

/// One call to a subject's object, over the subject's store and its sessions (`sessions`: each
/// in its own object; `revocations`: the revocation list, opened only for a logout): the rules
/// are the core's, and each answer is of its call's reply type (`ObjectCall::reply`).
pub async fn answer<S: Store, C: Clock, X: SessionControl, R: Store>(
    call: SubjectOp,
    subject: &Subject<'_, S, C>,
    sessions: &X,
    revocations: impl FnOnce() -> std::result::Result<RevocationList<R>, RemoteError>,
) -> std::result::Result<Value, RemoteError> {
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
    }
}

/// The subject's sessions, each in its own object, reached by typed calls through an
/// [`ObjectCaller`] (the Worker's bindings, or the handlers' tests' in-memory objects); a
/// failed call comes back in the core's terms.
pub struct ObjectSessions<'a, O>(pub &'a O);

impl<O: ObjectCaller> SessionControl for ObjectSessions<'_, O> {
    async fn end_for_subject(&self, sid: &str, cutoff: u64) -> std::result::Result<(), Error> {
        let call = EndForSubject {
            sid: sid.to_owned(),
            cutoff,
        };
        Ok(self.0.call(sid, call).await?)
    }

    async fn end(&self, sid: &str) -> std::result::Result<bool, Error> {
        let call = End {
            sid: sid.to_owned(),
        };
        Ok(self.0.call(sid, call).await?)
    }
}
