//! What crosses to the objects and back, as JSON text both ways.

use super::*;
use edge_jwt_core::{ListedSession, Registered, SessionStatus, TokenPair};
use serde_json::json;

/// What crosses to the object, read back as the object reads it.
fn crossed<C: ObjectCall>(call: C, name: &str) -> serde_json::Value {
    through_json(&call.envelope(name))
}

/// An object's answer (`serve` sends `Result<Value, RemoteError>`), read back by the caller
/// as the call's own reply type.
fn answered<C: ObjectCall>(reply: C::Reply) -> Result<C::Reply, RemoteError> {
    through_json(&C::reply(reply))
}

#[test]
fn session_calls_cross_tagged_by_op_and_come_back_whole() {
    let call = RevokeToken {
        jti: "j1".into(),
        exp: 9,
    };
    let wire = crossed(call, "sid-1");
    assert_eq!(wire, json!({"op": "revoke_token", "jti": "j1", "exp": 9}));
    match serde_json::from_value::<SessionCall>(wire).unwrap() {
        SessionCall::RevokeToken(c) => assert_eq!((c.jti.as_str(), c.exp), ("j1", 9)),
        other => panic!("{other:?}"),
    }
    let status = crossed(
        Status {
            sid: "s".into(),
            refresh_jti: None,
        },
        "s",
    );
    assert_eq!(status["op"], "status");
    let unit = crossed(
        EndForSubject {
            sid: "s".into(),
            cutoff: 5,
        },
        "s",
    );
    assert!(matches!(
        serde_json::from_value::<SessionCall>(unit).unwrap(),
        SessionCall::EndForSubject(EndForSubject { cutoff: 5, .. })
    ));
}

#[test]
fn subject_calls_carry_the_subject_beside_the_op() {
    let wire = crossed(
        Register {
            sid: "s1".into(),
            client_id: "web".into(),
        },
        "alice",
    );
    assert_eq!(
        wire,
        json!({"sub": "alice", "op": "register", "sid": "s1", "client_id": "web"})
    );
    let call: SubjectCall = serde_json::from_value(wire).unwrap();
    assert_eq!(call.sub, "alice");
    assert!(matches!(call.op, SubjectOp::Register(Register { .. })));
    let call: SubjectCall = serde_json::from_value(crossed(LogOutEverywhere {}, "bob")).unwrap();
    assert!(matches!(call.op, SubjectOp::LogOutEverywhere(_)));
}

#[test]
fn each_reply_comes_back_as_its_calls_type() {
    assert_eq!(answered::<End>(true), Ok(true));
    let registered = Registered {
        min_iat: 1_767_225_601,
        evicted: vec!["s0".into()],
    };
    assert_eq!(answered::<Register>(registered.clone()), Ok(registered));
    assert_eq!(answered::<EndForSubject>(()), Ok(()));
    assert_eq!(answered::<StoreConformance>(None), Ok(None));
    let status = SessionStatus {
        sid: "s".into(),
        client_id: "web".into(),
        started_at: 1,
        last_refreshed_at: 2,
        ends_at: 3,
        live: true,
        jkt: Some("k".into()),
    };
    assert_eq!(answered::<Status>(Some(status.clone())), Ok(Some(status)));
    let listed = ListedSession {
        sid: "s".into(),
        client_id: "web".into(),
        started_at: 1,
        last_refreshed_at: 2,
        ends_at: 3,
    };
    assert_eq!(answered::<Sessions>(vec![listed.clone()]), Ok(vec![listed]));
}

#[test]
fn an_objects_error_crosses_as_its_code_and_comes_back_as_the_core_error() {
    let sent: Result<serde_json::Value, RemoteError> =
        Err(RemoteError::from(Error::SessionNotFound));
    let text = serde_json::to_string(&sent).unwrap();
    let back: Result<TokenPair, RemoteError> = serde_json::from_str(&text).unwrap();
    let remote = back.unwrap_err();
    assert_eq!(remote.error_code(), Some(ErrorCode::SessionNotFound));
    assert_eq!(
        Error::from(CallError::Remote(remote)),
        Error::SessionNotFound
    );
    // A store's or the issuer's own fault crosses without its details.
    let fault = RemoteError::from(Error::StoreUnavailable("disk 7 on fire".into()));
    assert_eq!(fault.error_code(), Some(ErrorCode::StoreUnavailable));
    assert!(fault.message.is_empty());
    let unknown = RemoteError {
        code: "ERR_FROM_THE_FUTURE".into(),
        message: String::new(),
    };
    assert_eq!(
        Error::from(CallError::Remote(unknown)).error_code(),
        ErrorCode::StoreUnavailable
    );
}
