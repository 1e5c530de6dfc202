//! The objects' typed calls end to end, natively: each call crosses as JSON, the object's own
//! dispatch (`session::answer`, `subject::answer`) runs the core over the core's in-memory
//! stores, and the reply comes back as the call's type, or its error as the API answers it.

use edge_jwt_core::revocation::RevocationList;
use edge_jwt_core::testing::{FixedClock, MemorySessions, MemoryStore};
use edge_jwt_core::ErrorCode;
use edge_jwt_core::{
    Algorithm, KeySet, NewSession, Policy, Presentation, SessionRotation, SigningKey, Subject,
    TokenIssuer,
};
use futures::executor::block_on;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{session, subject};
use crate::api::ApiError;
use crate::calls::*;

const T0: u64 = 1_767_225_600;

struct Objects {
    issuer: TokenIssuer,
    clock: FixedClock,
    sessions: MemoryStore,
    subjects: MemoryStore,
    revocations: RevocationList<MemoryStore>,
}

fn objects() -> Objects {
    let keys = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
    let clock = FixedClock::at(T0);
    Objects {
        issuer: TokenIssuer::new(keys, Policy::new("https://issuer.test", "https://api.test"))
            .unwrap(),
        sessions: MemoryStore::new(clock.clone()),
        subjects: MemoryStore::new(clock.clone()),
        revocations: RevocationList::new(MemoryStore::new(clock.clone()), 30),
        clock,
    }
}

/// What `serve` sends back, read as `ObjectRef::call` reads it.
fn received<R: DeserializeOwned>(sent: Result<Value, RemoteError>) -> Result<R, ApiError> {
    through_json::<_, Result<R, RemoteError>>(&sent).map_err(ApiError::from)
}

/// The wire form of a call, read back as the object reads it.
fn crossed<C: ObjectCall, E: DeserializeOwned>(call: C, name: &str) -> E {
    through_json(&call.envelope(name))
}

impl Objects {
    fn rotation(&self) -> SessionRotation<'_, MemoryStore, MemoryStore, FixedClock> {
        SessionRotation {
            issuer: &self.issuer,
            store: &self.sessions,
            revocations: &self.revocations,
            clock: &self.clock,
        }
    }

    /// A call to session `sid`'s object.
    fn session<C: ObjectCall<Envelope = SessionCall>>(
        &self,
        sid: &str,
        call: C,
    ) -> Result<C::Reply, ApiError> {
        let sent = block_on(session::answer(crossed(call, sid), &self.rotation(), false));
        received(sent)
    }

    /// A call to subject `sub`'s object, whose sessions are the in-memory ones.
    fn subject<C: ObjectCall<Envelope = SubjectCall>>(
        &self,
        sub: &str,
        call: C,
    ) -> Result<C::Reply, ApiError> {
        let SubjectCall { sub: named, op } = crossed(call, sub);
        assert_eq!(named, sub);
        let subject = Subject {
            sub,
            store: &self.subjects,
            policy: self.issuer.policy(),
            clock: &self.clock,
        };
        let sessions = MemorySessions {
            issuer: &self.issuer,
            store: &self.sessions,
            revocations: &self.revocations,
            clock: &self.clock,
        };
        let revocations = || Ok(self.revocations.clone());
        received(block_on(subject::answer(
            op,
            &subject,
            &sessions,
            revocations,
        )))
    }

    /// `begin_session`'s two calls: register with the subject, then start.
    fn start(&self, sub: &str, sid: &str) -> edge_jwt_core::TokenPair {
        let register = Register {
            sid: sid.into(),
            client_id: "web".into(),
        };
        let min_iat = self.subject(sub, register).unwrap().min_iat;
        let request = NewSession {
            sub: sub.into(),
            client_id: "web".into(),
            ..NewSession::default()
        };
        let start = Start {
            sid: sid.into(),
            request,
            min_iat,
        };
        self.session(sid, start).unwrap()
    }

    fn refresh(&self, refresh_token: &str) -> Result<edge_jwt_core::TokenPair, ApiError> {
        let claims = self.issuer.verify_refresh(refresh_token, T0).unwrap();
        let sid = claims.sid.clone();
        let refresh = Refresh {
            claims,
            presented: Presentation::default(),
        };
        self.session(&sid, refresh).map(|rotated| rotated.pair)
    }
}

#[test]
fn a_session_starts_rotates_answers_its_status_and_ends_through_its_calls() {
    let o = objects();
    let first = o.start("alice", "s1");
    let second = o.refresh(&first.refresh_token).unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    // Within the grace window the consumed token gets the very same pair back.
    assert_eq!(o.refresh(&first.refresh_token).unwrap(), second);
    let status = Status {
        sid: "s1".into(),
        refresh_jti: None,
    };
    assert!(o.session("s1", status).unwrap().unwrap().live);
    assert!(o.session("s1", End { sid: "s1".into() }).unwrap());
    assert!(!o.session("s1", End { sid: "s1".into() }).unwrap());
    let refused = o.refresh(&second.refresh_token).unwrap_err();
    assert_eq!((refused.status, refused.error), (400, "invalid_grant"));
    assert_eq!(refused.code, Some(ErrorCode::JwtRevoked));
}

#[test]
fn revoking_a_token_twice_changes_something_once() {
    let o = objects();
    o.start("alice", "s1");
    let revoke = || RevokeToken {
        jti: "j1".into(),
        exp: T0 + 300,
    };
    assert!(o.session("s1", revoke()).unwrap());
    assert!(!o.session("s1", revoke()).unwrap());
}

#[test]
fn the_store_contract_runs_only_when_the_configuration_turns_it_on() {
    let o = objects();
    let call = |prefix: &str| -> SessionCall {
        crossed(
            StoreConformance {
                prefix: prefix.into(),
            },
            prefix,
        )
    };
    // Only the Worker's own route sends it, and only when on; an object asked anyway refuses,
    // as a fault of the issuer, with no details.
    let off: Result<Option<String>, ApiError> =
        received(block_on(session::answer(call("p"), &o.rotation(), false)));
    let off = off.unwrap_err();
    assert_eq!((off.status, off.error), (500, "server_error"));
    let on: Result<Option<String>, ApiError> =
        received(block_on(session::answer(call("p"), &o.rotation(), true)));
    assert_eq!(on.unwrap(), None, "the in-memory store keeps the contract");
}

#[test]
fn a_subject_lists_its_sessions_ends_one_and_logs_out_everywhere() {
    let o = objects();
    let laptop = o.start("alice", "laptop");
    let phone = o.start("alice", "phone");
    o.start("bob", "bob-1");
    let mut listed: Vec<String> = o
        .subject("alice", Sessions {})
        .unwrap()
        .into_iter()
        .map(|s| s.sid)
        .collect();
    listed.sort();
    assert_eq!(listed, ["laptop", "phone"]);

    o.subject(
        "alice",
        EndSession {
            sid: "phone".into(),
        },
    )
    .unwrap();
    assert!(o.refresh(&phone.refresh_token).is_err());
    let unknown = o
        .subject(
            "alice",
            EndSession {
                sid: "bob-1".into(),
            },
        )
        .unwrap_err();
    assert_eq!(unknown.code, Some(ErrorCode::SessionNotFound));

    let cutoff = o.subject("alice", LogOutEverywhere {}).unwrap();
    assert!(cutoff >= T0);
    assert!(o.refresh(&laptop.refresh_token).is_err());
    assert!(o.subject("alice", Sessions {}).unwrap().is_empty());
    // Another subject's session is untouched.
    assert_eq!(o.subject("bob", Sessions {}).unwrap().len(), 1);
}
