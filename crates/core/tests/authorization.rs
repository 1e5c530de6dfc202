//! The authorization code flow's rules: a request sealed into its challenge, answered once (the
//! challenge's store records it), the code sealed with the session it starts, redeemed with
//! PKCE, and started once in that session's store, so a second use ends it whichever comes
//! first; the scope only narrowed.

mod support;

use edge_jwt_core::authorization::{
    flow, Answerer, Answers, AuthorizationRequest, ClientOrigin, CodeExchange, Consent,
    GrantedCode, Pending, Redemption, SealKey,
};
use edge_jwt_core::testing::MemoryStore;
use edge_jwt_core::{Error, NewSession, RevokedBy};
use support::*;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:5555/cb";
/// An app that may grant any scope (a trusted back end).
const APP: Answerer = Answerer::App { scopes: None };

fn request() -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: "cli".into(),
        redirect_uri: REDIRECT.into(),
        state: Some("s-1".into()),
        scope: Some("read write".into()),
        resource: Some("https://mcp.example/mcp".into()),
        code_challenge: CHALLENGE.into(),
        dpop_jkt: None,
        dpop_bound: false,
    }
}

fn exchange() -> CodeExchange<'static> {
    CodeExchange {
        client_id: "cli",
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
        resource: None,
        proof_jkt: None,
    }
}

fn key() -> SealKey {
    SealKey::derive(b"the deployment's secret")
}

fn alice() -> Consent {
    Consent {
        sub: "alice".into(),
        ..Consent::default()
    }
}

/// A request's challenge, opened as the app's back end opens it.
fn pending(request: AuthorizationRequest) -> (String, Pending) {
    let challenge = flow::begin(
        &key(),
        request,
        Some("CLI".into()),
        ClientOrigin::Registered,
        T0,
    )
    .unwrap();
    let pending = Pending::open(&key(), &challenge, T0).unwrap();
    (challenge, pending)
}

/// The code in a redirect.
fn code_of(to: &str) -> String {
    let code = to.split("code=").nth(1).unwrap().split('&').next().unwrap();
    code.to_owned()
}

/// Accepted for `consent`: the code.
fn code(consent: Consent) -> String {
    let (_, pending) = pending(request());
    code_of(&pending.accept(consent, &APP, &key(), ISSUER, T0).unwrap())
}

fn granted(code: &str) -> GrantedCode {
    match flow::redeem(&key(), code, exchange(), T0).unwrap() {
        Redemption::Granted(granted) => *granted,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_challenge_carries_its_request_sealed_and_expires_after_ten_minutes() {
    let (challenge, pending) = pending(request());
    assert!(!challenge.contains("cli") && !challenge.contains("127.0.0.1"));
    let view = pending.view();
    assert_eq!(
        (view.client_name.as_deref(), view.scope.as_deref()),
        (Some("CLI"), Some("read write"))
    );
    assert_eq!(view.expires_at, T0 + 600);
    assert_eq!(
        Pending::open(&key(), &challenge, T0 + 600).unwrap_err(),
        Error::AuthorizationNotFound
    );
    let foreign = SealKey::derive(b"another deployment");
    assert_eq!(
        Pending::open(&foreign, &challenge, T0).unwrap_err(),
        Error::AuthorizationNotFound
    );
    // A code is never taken for a challenge.
    let code = code(alice());
    assert!(Pending::open(&key(), &code, T0).is_err());
}

#[test]
fn a_challenge_is_answered_once_and_the_first_answer_stands() {
    let (_, pending) = pending(request());
    let store = MemoryStore::new(edge_jwt_core::testing::FixedClock::at(T0));
    let clock = edge_jwt_core::testing::FixedClock::at(T0);
    let answers = Answers {
        store: &store,
        clock: &clock,
    };
    assert!(!block_on(answers.answered()).unwrap());
    let to = pending.accept(alice(), &APP, &key(), ISSUER, T0).unwrap();
    block_on(answers.answer(pending.expires_at)).unwrap();
    assert!(to.starts_with(&format!("{REDIRECT}?code=")), "{to}");
    assert!(
        to.ends_with("&state=s-1&iss=https%3A%2F%2Fissuer.test"),
        "{to}"
    );
    // A second answer, accept or reject, is refused: the first stands.
    assert_eq!(
        block_on(answers.answer(pending.expires_at)).unwrap_err(),
        Error::AuthorizationNotFound
    );
    assert!(block_on(answers.answered()).unwrap());
    let to = pending
        .reject(None, Some("the user said no"), ISSUER)
        .unwrap();
    assert_eq!(to, format!("{REDIRECT}?error=access_denied&error_description=the%20user%20said%20no&state=s-1&iss=https%3A%2F%2Fissuer.test"));
    assert!(pending.reject(Some("server_error"), None, ISSUER).is_err());
}

#[test]
fn the_app_may_narrow_the_scope_never_widen_it() {
    let (_, pending) = pending(request());
    let wider = Consent {
        scope: Some("read admin".into()),
        ..alice()
    };
    assert_eq!(
        pending
            .accept(wider, &APP, &key(), ISSUER, T0)
            .unwrap_err()
            .code(),
        "ERR_INVALID_SCOPE"
    );
    let narrower = Consent {
        scope: Some("read".into()),
        ..alice()
    };
    pending.accept(narrower, &APP, &key(), ISSUER, T0).unwrap();
    assert!(pending
        .accept(
            Consent {
                sub: "cli".into(),
                ..alice()
            },
            &APP,
            &key(),
            ISSUER,
            T0
        )
        .is_err());
}

#[test]
fn a_present_scope_is_what_is_granted_and_an_empty_one_grants_none() {
    let scope_of = |scope: Option<&str>| {
        granted(&code(Consent {
            scope: scope.map(str::to_owned),
            ..alice()
        }))
        .consent
        .scope
    };
    // The user unticked every box: nothing of `read write` is granted.
    assert_eq!(scope_of(Some("")), None);
    assert_eq!(scope_of(Some("   ")), None);
    assert_eq!(scope_of(Some("write")).as_deref(), Some("write"));
    // No scope in the answer at all: what was asked.
    assert_eq!(scope_of(None).as_deref(), Some("read write"));
}

#[test]
fn an_app_with_a_list_of_scopes_grants_only_those() {
    let (_, pending) = pending(request());
    let app = Answerer::App {
        scopes: Some(vec!["read".into()]),
    };
    // `read write` was asked; the app may grant `read` alone.
    let all = pending
        .accept(alice(), &app, &key(), ISSUER, T0)
        .unwrap_err();
    assert_eq!(all, Error::InvalidScope("write".into()));
    let write = Consent {
        scope: Some("write".into()),
        ..alice()
    };
    assert!(pending.accept(write, &app, &key(), ISSUER, T0).is_err());
    let read = Consent {
        scope: Some("read".into()),
        ..alice()
    };
    pending.accept(read, &app, &key(), ISSUER, T0).unwrap();
}

#[test]
fn the_demos_answer_grants_its_own_audience_and_scope_whatever_was_asked() {
    let (_, pending) = pending(request());
    let demo = Answerer::Demo {
        audience: format!("{ISSUER}/demo"),
        scope: "demo".into(),
    };
    let to = pending.accept(alice(), &demo, &key(), ISSUER, T0).unwrap();
    let consent = granted(&code_of(&to)).consent;
    assert_eq!(consent.audience, Some(format!("{ISSUER}/demo")));
    assert_eq!(consent.scope.as_deref(), Some("demo"));
}

#[test]
fn a_code_is_redeemed_by_its_client_with_its_verifier_and_redirect_uri_and_nothing_else() {
    let code = code(alice());
    assert!(!code.contains("alice"), "sealed, not only signed");
    for (broken, expected) in [
        (
            CodeExchange {
                client_id: "other",
                ..exchange()
            },
            "ERR_AUTHORIZATION_CODE_INVALID",
        ),
        (
            CodeExchange {
                redirect_uri: "http://127.0.0.1:6/cb",
                ..exchange()
            },
            "ERR_AUTHORIZATION_CODE_INVALID",
        ),
        (
            CodeExchange {
                code_verifier: &VERIFIER.replace('d', "e"),
                ..exchange()
            },
            "ERR_AUTHORIZATION_CODE_INVALID",
        ),
        (
            CodeExchange {
                resource: Some("https://other.example"),
                ..exchange()
            },
            "ERR_INVALID_TARGET",
        ),
    ] {
        let err = flow::redeem(&key(), &code, broken, T0).unwrap_err();
        assert_eq!(err.code(), expected, "{broken:?}");
    }
    // Nothing was used up: checks alone.
    let first = granted(&code);
    assert_eq!(first.sid.len(), 22);
    assert_eq!(first.expires_at, T0 + 60);
    // A challenge is never taken for a code, nor a code of another deployment.
    let (challenge, _) = pending(request());
    assert!(flow::redeem(&key(), &challenge, exchange(), T0).is_err());
    let foreign = SealKey::derive(b"another deployment");
    assert!(flow::redeem(&foreign, &code, exchange(), T0).is_err());
    // Past its minute: only a late reuse (its first session, if any, ends); a day on, nothing.
    assert_eq!(
        flow::redeem(&key(), &code, exchange(), T0 + 60).unwrap(),
        Redemption::Late { sid: first.sid }
    );
    assert_eq!(
        flow::redeem(&key(), &code, exchange(), T0 + 60 + 86_400)
            .unwrap_err()
            .code(),
        "ERR_AUTHORIZATION_CODE_INVALID"
    );
}

/// What the token endpoint makes of a granted code: the session, for the resource.
fn session_of(granted: &GrantedCode) -> NewSession {
    NewSession {
        sub: granted.consent.sub.clone(),
        client_id: granted.request.client_id.clone(),
        scope: granted.consent.scope.clone(),
        claims: granted.consent.claims.clone(),
        dpop_jkt: granted.request.dpop_jkt.clone(),
        audience: granted.request.resource.clone(),
        confidential: false,
        replay_window: 0,
    }
}

#[test]
fn a_second_use_of_a_code_ends_the_session_the_first_started_whichever_comes_first() {
    let w = World::new();
    let d = w.sessions();
    let code = code(Consent {
        scope: Some("read".into()),
        ..alice()
    });
    let granted = granted(&code);
    let pair = block_on(
        d.rotation()
            .start_once(&granted.sid, session_of(&granted), T0),
    )
    .unwrap();
    let claims = w.issuer.verify_refresh(&pair.refresh_token, T0).unwrap();
    assert_eq!(
        (claims.client_id.as_str(), claims.sid.as_str()),
        ("cli", granted.sid.as_str())
    );
    // The stolen code, used again: the same session's store finds it started and ends it.
    let again = self::granted(&code);
    assert_eq!(again.sid, granted.sid);
    assert_eq!(
        block_on(d.rotation().start_once(&again.sid, session_of(&again), T0)).unwrap_err(),
        Error::AuthorizationCodeReused
    );
    assert_eq!(
        block_on(d.refresh(&pair.refresh_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Session)
    );
    // Later still, a third use starts nothing either.
    assert_eq!(
        block_on(d.rotation().start_once(&again.sid, session_of(&again), T0)).unwrap_err(),
        Error::AuthorizationCodeReused
    );
}

#[test]
fn a_key_named_at_authorize_must_sign_the_exchange() {
    let mut bound = request();
    bound.dpop_jkt = Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into());
    let (_, pending) = pending(bound);
    let code = code_of(&pending.accept(alice(), &APP, &key(), ISSUER, T0).unwrap());
    assert_eq!(
        flow::redeem(&key(), &code, exchange(), T0)
            .unwrap_err()
            .code(),
        "ERR_DPOP_PROOF_INVALID"
    );
    let other_key = CodeExchange {
        proof_jkt: Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
        ..exchange()
    };
    assert_eq!(
        flow::redeem(&key(), &code, other_key, T0).unwrap_err(),
        Error::DpopBindingMismatch
    );
    let right = CodeExchange {
        proof_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
        ..exchange()
    };
    assert!(matches!(
        flow::redeem(&key(), &code, right, T0).unwrap(),
        Redemption::Granted(_)
    ));
}
