//! The authorization code flow's rules over the store its Durable Object stands for: a pending
//! request answered once, a code redeemed once with PKCE, its reuse revoking the session the
//! first use started, the scope only narrowed.

mod support;

use edge_jwt_core::authorization::{
    Answerer, Authorization, AuthorizationRequest, ClientOrigin, CodeExchange, Consent, Redemption,
};
use edge_jwt_core::testing::MemoryStore;
use edge_jwt_core::{Error, NewSession, RevokedBy};
use support::*;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const LOGIN: &str = "aaaaaaaaaaaaaaaaaaaaaa";
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

struct Flow {
    w: World,
    store: MemoryStore,
}

impl Flow {
    fn new() -> Self {
        let w = World::new();
        let store = MemoryStore::new(w.clock.clone());
        Flow { w, store }
    }

    fn authorization(&self) -> Authorization<'_, MemoryStore, edge_jwt_core::testing::FixedClock> {
        Authorization {
            store: &self.store,
            clock: &self.w.clock,
            issuer: ISSUER,
        }
    }

    /// Begun and accepted: the code's secret part.
    fn code(&self, consent: Consent) -> String {
        let a = self.authorization();
        block_on(a.begin(request(), Some("CLI".into()), ClientOrigin::Registered)).unwrap();
        let to = block_on(a.accept(LOGIN, consent, &APP)).unwrap();
        let code = to.split("code=").nth(1).unwrap().split('&').next().unwrap();
        code.split("%2E")
            .nth(1)
            .or_else(|| code.split('.').nth(1))
            .unwrap()
            .to_owned()
    }
}

fn alice() -> Consent {
    Consent {
        sub: "alice".into(),
        ..Consent::default()
    }
}

#[test]
fn a_pending_request_is_described_then_answered_once_with_a_code_and_iss() {
    let f = Flow::new();
    let a = f.authorization();
    block_on(a.begin(request(), Some("CLI".into()), ClientOrigin::Registered)).unwrap();
    let view = block_on(a.describe()).unwrap();
    assert_eq!(
        (view.client_name.as_deref(), view.scope.as_deref()),
        (Some("CLI"), Some("read write"))
    );
    assert_eq!(view.expires_at, T0 + 600);
    let to = block_on(a.accept(LOGIN, alice(), &APP)).unwrap();
    assert!(to.starts_with(&format!("{REDIRECT}?code={LOGIN}.")), "{to}");
    assert!(
        to.ends_with("&state=s-1&iss=https%3A%2F%2Fissuer.test"),
        "{to}"
    );
    // Answered once: no second code, no rejection after it, nothing to describe.
    assert_eq!(
        block_on(a.accept(LOGIN, alice(), &APP)).unwrap_err(),
        Error::AuthorizationNotFound
    );
    assert_eq!(
        block_on(a.reject(None, None)).unwrap_err(),
        Error::AuthorizationNotFound
    );
    assert_eq!(
        block_on(a.describe()).unwrap_err(),
        Error::AuthorizationNotFound
    );
}

#[test]
fn a_rejection_goes_back_with_access_denied_and_a_request_expires_after_ten_minutes() {
    let f = Flow::new();
    let a = f.authorization();
    block_on(a.begin(request(), None, ClientOrigin::Registered)).unwrap();
    let to = block_on(a.reject(None, Some("the user said no"))).unwrap();
    assert_eq!(to, format!("{REDIRECT}?error=access_denied&error_description=the%20user%20said%20no&state=s-1&iss=https%3A%2F%2Fissuer.test"));
    let f = Flow::new();
    let a = f.authorization();
    block_on(a.begin(request(), None, ClientOrigin::Registered)).unwrap();
    f.w.clock.advance(600);
    assert_eq!(
        block_on(a.accept(LOGIN, alice(), &APP)).unwrap_err(),
        Error::AuthorizationNotFound
    );
}

#[test]
fn the_app_may_narrow_the_scope_never_widen_it() {
    let f = Flow::new();
    let a = f.authorization();
    block_on(a.begin(request(), None, ClientOrigin::Registered)).unwrap();
    let wider = Consent {
        scope: Some("read admin".into()),
        ..alice()
    };
    assert_eq!(
        block_on(a.accept(LOGIN, wider, &APP)).unwrap_err().code(),
        "ERR_INVALID_SCOPE"
    );
    let narrower = Consent {
        scope: Some("read".into()),
        ..alice()
    };
    block_on(a.accept(LOGIN, narrower, &APP)).unwrap();
}

/// The consent's scope, as the code's redemption hands it on to the session.
fn granted_scope(consent_scope: Option<&str>) -> Option<String> {
    let f = Flow::new();
    let secret = f.code(Consent {
        scope: consent_scope.map(str::to_owned),
        ..alice()
    });
    match block_on(f.authorization().redeem(&secret, exchange())).unwrap() {
        Redemption::Granted { consent, .. } => consent.scope,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_present_scope_is_what_is_granted_and_an_empty_one_grants_none() {
    // The user unticked every box: nothing of `read write` is granted.
    assert_eq!(granted_scope(Some("")), None);
    assert_eq!(granted_scope(Some("   ")), None);
    assert_eq!(granted_scope(Some("write")).as_deref(), Some("write"));
    // No scope in the answer at all: what was asked.
    assert_eq!(granted_scope(None).as_deref(), Some("read write"));
}

#[test]
fn an_app_with_a_list_of_scopes_grants_only_those() {
    let f = Flow::new();
    let a = f.authorization();
    block_on(a.begin(request(), None, ClientOrigin::Registered)).unwrap();
    let app = Answerer::App {
        scopes: Some(vec!["read".into()]),
    };
    // `read write` was asked; the app may grant `read` alone.
    let all = block_on(a.accept(LOGIN, alice(), &app)).unwrap_err();
    assert_eq!(all, Error::InvalidScope("write".into()));
    let write = Consent {
        scope: Some("write".into()),
        ..alice()
    };
    assert_eq!(
        block_on(a.accept(LOGIN, write, &app)).unwrap_err().code(),
        "ERR_INVALID_SCOPE"
    );
    let read = Consent {
        scope: Some("read".into()),
        ..alice()
    };
    block_on(a.accept(LOGIN, read, &app)).unwrap();
}

#[test]
fn the_demos_answer_grants_its_own_audience_and_scope_whatever_was_asked() {
    let f = Flow::new();
    let a = f.authorization();
    block_on(a.begin(request(), None, ClientOrigin::Registered)).unwrap();
    let demo = Answerer::Demo {
        audience: format!("{ISSUER}/demo"),
        scope: "demo".into(),
    };
    let to = block_on(a.accept(LOGIN, alice(), &demo)).unwrap();
    let code = to.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let secret = code.split("%2E").nth(1).or_else(|| code.split('.').nth(1));
    match block_on(a.redeem(secret.unwrap(), exchange())).unwrap() {
        Redemption::Granted { consent, .. } => {
            assert_eq!(consent.audience, Some(format!("{ISSUER}/demo")));
            assert_eq!(consent.scope.as_deref(), Some("demo"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_code_is_redeemed_once_by_its_client_with_its_verifier_and_redirect_uri() {
    for (broken, code) in [
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
        let f = Flow::new();
        let secret = f.code(alice());
        let err = block_on(f.authorization().redeem(&secret, broken)).unwrap_err();
        assert_eq!(err.code(), code, "{broken:?}");
        // A refused exchange uses nothing up: the right one still works.
        let granted = block_on(f.authorization().redeem(&secret, exchange())).unwrap();
        assert!(matches!(granted, Redemption::Granted { .. }));
    }
    let f = Flow::new();
    let secret = f.code(alice());
    f.w.clock.advance(60);
    assert_eq!(
        block_on(f.authorization().redeem(&secret, exchange()))
            .unwrap_err()
            .code(),
        "ERR_AUTHORIZATION_CODE_INVALID"
    );
    assert!(block_on(
        f.authorization()
            .redeem("wrong-secret-aaaaaaaaaa", exchange())
    )
    .is_err());
}

#[test]
fn a_second_use_of_a_code_revokes_the_session_the_first_started() {
    let f = Flow::new();
    let secret = f.code(Consent {
        scope: Some("read".into()),
        ..alice()
    });
    let a = f.authorization();
    let Redemption::Granted { request, consent } = block_on(a.redeem(&secret, exchange())).unwrap()
    else {
        panic!("a first use is granted");
    };
    // What the token endpoint does with a grant: the session, for the resource.
    let session = NewSession {
        sub: consent.sub,
        client_id: request.client_id,
        scope: consent.scope,
        claims: consent.claims,
        dpop_jkt: request.dpop_jkt,
        audience: request.resource,
        confidential: false,
    };
    let d = f.w.sessions();
    let pair = block_on(d.start("sid-code", session)).unwrap();
    assert!(block_on(a.started("sid-code")).unwrap());
    let claims = f.w.issuer.verify_refresh(&pair.refresh_token, T0).unwrap();
    assert_eq!(claims.client_id, "cli");
    // The stolen code, used again: reuse, naming the session; the caller ends it.
    let reused = block_on(a.redeem(&secret, exchange())).unwrap();
    assert_eq!(
        reused,
        Redemption::Reused {
            sid: Some("sid-code".into())
        }
    );
    block_on(d.rotation().end("sid-code")).unwrap();
    assert_eq!(
        block_on(d.refresh(&pair.refresh_token)).unwrap_err(),
        Error::Revoked(RevokedBy::Session)
    );
}

#[test]
fn a_reuse_before_the_first_session_is_noted_ends_that_session_as_it_starts() {
    let f = Flow::new();
    let secret = f.code(alice());
    let a = f.authorization();
    assert!(matches!(
        block_on(a.redeem(&secret, exchange())).unwrap(),
        Redemption::Granted { .. }
    ));
    assert_eq!(
        block_on(a.redeem(&secret, exchange())).unwrap(),
        Redemption::Reused { sid: None }
    );
    assert!(
        !block_on(a.started("sid-late")).unwrap(),
        "the caller must end sid-late"
    );
}

#[test]
fn a_key_named_at_authorize_must_sign_the_exchange_before_the_code_is_used_up() {
    let f = Flow::new();
    let a = f.authorization();
    let mut bound = request();
    bound.dpop_jkt = Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into());
    block_on(a.begin(bound, None, ClientOrigin::Registered)).unwrap();
    let to = block_on(a.accept(LOGIN, alice(), &APP)).unwrap();
    let code = to.split("code=").nth(1).unwrap().split('&').next().unwrap();
    let secret = code.split('.').nth(1).unwrap();
    assert_eq!(
        block_on(a.redeem(secret, exchange())).unwrap_err().code(),
        "ERR_DPOP_PROOF_INVALID"
    );
    let other_key = CodeExchange {
        proof_jkt: Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
        ..exchange()
    };
    assert_eq!(
        block_on(a.redeem(secret, other_key)).unwrap_err(),
        Error::DpopBindingMismatch
    );
    let right = CodeExchange {
        proof_jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
        ..exchange()
    };
    assert!(matches!(
        block_on(a.redeem(secret, right)).unwrap(),
        Redemption::Granted { .. }
    ));
}
