//! Delegation's rules: a token exchange (RFC 8693) within a client's `exchange` rules and the
//! subject token's session, scope, lifetime and binding; an ID-JAG (RFC 7523, the MCP
//! enterprise-managed authorization profile) from a trusted issuer, for this issuer and the
//! client presenting it.

mod support;

use edge_jwt_core::actor::{actor_sub, delegation_chain};
use edge_jwt_core::client::{ClientRules, Permission};
use edge_jwt_core::delegation::exchange::ACCESS_TOKEN_TYPE;
use edge_jwt_core::delegation::identity_assertion::ID_JAG_TYP;
use edge_jwt_core::delegation::{
    exchange, issue_for_assertion, subject_token, verify_identity_assertion, ExchangeRequest,
    ExchangeRules, GrantCheck, TrustedIssuer,
};
use edge_jwt_core::testing::ProviderKeys;
use edge_jwt_core::{ErrorCode, SessionClaims, TokenIssuer};
use jwt_simple::prelude::{Audiences, JWTClaims, UnixTimeStamp};
use serde_json::{json, Map, Value};
use support::*;

const MCP: &str = "https://mcp.test";
const DOWNSTREAM: &str = "https://downstream.test";

fn rules() -> ExchangeRules {
    ExchangeRules {
        from: vec![MCP.into()],
        to: vec![DOWNSTREAM.into()],
        impersonate: false,
    }
}

/// A user's session at the MCP server, as the code flow starts it.
fn user_session() -> SessionClaims {
    SessionClaims {
        sid: "sid-user".into(),
        sub: "user-1".into(),
        client_id: "claude".into(),
        scope: Some("files:read files:write".into()),
        claims: Map::from_iter([("email".into(), json!("u@example.com"))]),
        ends_at: T0 + 86_400,
        jkt: None,
        audience: Some(MCP.into()),
        confidential: false,
    }
}

fn request(token: &str) -> ExchangeRequest<'_> {
    ExchangeRequest {
        subject_token: token,
        subject_token_type: ACCESS_TOKEN_TYPE,
        ..ExchangeRequest::default()
    }
}

fn exchanged(issuer: &TokenIssuer, request: &ExchangeRequest<'_>, jkt: Option<&str>) -> Value {
    let subject = subject_token(issuer, request, T0 + 10).expect("subject token");
    let token = exchange(
        issuer,
        ("mcp-server", &rules()),
        &subject,
        request,
        jkt,
        T0 + 10,
    )
    .expect("exchange");
    assert_eq!(token.issued_token_type.as_deref(), Some(ACCESS_TOKEN_TYPE));
    let claims = issuer
        .verify_access_any_audience(&token.access_token, T0 + 10)
        .expect("verifies");
    Value::Object(claims.claims.into_map())
}

#[test]
fn an_exchanged_token_acts_for_the_subject_in_its_session() {
    let issuer = issuer();
    let subject = issuer.sign_access_for_tests(&user_session(), T0);
    let claims = exchanged(&issuer, &request(&subject), None);
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["sid"], "sid-user", "the subject token's session");
    assert_eq!(claims["aud"], DOWNSTREAM);
    assert_eq!(claims["client_id"], "mcp-server");
    assert_eq!(claims["act"], json!({"sub": "mcp-server"}));
    assert_eq!(claims["scope"], "files:read files:write");
    assert_eq!(claims["email"], "u@example.com", "custom claims carried");
    assert!(claims.get("cnf").is_none());
    // Never longer-lived than the subject token (issued at T0, 300 s).
    assert_eq!(claims["exp"], T0 + 300);
}

#[test]
fn a_delegated_subject_token_nests_its_actor() {
    let issuer = issuer();
    let mut session = user_session();
    session.claims.insert("act".into(), json!({"sub": "agent"}));
    let subject = issuer.sign_access_for_tests(&session, T0);
    let claims = exchanged(&issuer, &request(&subject), None);
    assert_eq!(
        claims["act"],
        json!({"sub": "mcp-server", "act": {"sub": "agent"}})
    );
    let chain = delegation_chain(claims.as_object().unwrap()).unwrap();
    let names: Vec<&str> = chain.iter().map(|a| actor_sub(a)).collect();
    assert_eq!(names, ["mcp-server", "agent"]);
}

#[test]
fn impersonation_adds_no_actor() {
    let issuer = issuer();
    let subject_token_text = issuer.sign_access_for_tests(&user_session(), T0);
    let request = request(&subject_token_text);
    let subject = subject_token(&issuer, &request, T0).unwrap();
    let rules = ExchangeRules {
        impersonate: true,
        ..rules()
    };
    let token = exchange(
        &issuer,
        ("mcp-server", &rules),
        &subject,
        &request,
        None,
        T0,
    )
    .unwrap();
    let claims = issuer
        .verify_access_any_audience(&token.access_token, T0)
        .unwrap();
    assert!(claims.claims.as_map().get("act").is_none());
    assert_eq!(claims.client_id, "mcp-server");
}

#[test]
fn the_scope_only_narrows() {
    let issuer = issuer();
    let subject = issuer.sign_access_for_tests(&user_session(), T0);
    let narrow = ExchangeRequest {
        scope: Some("files:read"),
        ..request(&subject)
    };
    assert_eq!(exchanged(&issuer, &narrow, None)["scope"], "files:read");
    let wider = ExchangeRequest {
        scope: Some("files:read admin"),
        ..request(&subject)
    };
    let claims = subject_token(&issuer, &wider, T0).unwrap();
    let err = exchange(&issuer, ("mcp-server", &rules()), &claims, &wider, None, T0).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidScope);
}

#[test]
fn audiences_are_the_clients_rules() {
    let issuer = issuer();
    let run = |session: SessionClaims, audience: Option<&str>, rules: &ExchangeRules| {
        let token = issuer.sign_access_for_tests(&session, T0);
        let request = ExchangeRequest {
            audience,
            ..request(&token)
        };
        let subject = subject_token(&issuer, &request, T0).unwrap();
        exchange(&issuer, ("mcp-server", rules), &subject, &request, None, T0).map(|t| t.resource)
    };
    assert_eq!(
        run(user_session(), Some(DOWNSTREAM), &rules()).unwrap(),
        Some(DOWNSTREAM.into())
    );
    let elsewhere = run(user_session(), Some("https://billing.test"), &rules()).unwrap_err();
    assert_eq!(elsewhere.error_code(), ErrorCode::InvalidTarget);
    assert!(elsewhere.to_string().contains("exchange.to"), "{elsewhere}");
    // A token for an audience the client does not serve is not its to exchange.
    let mut other = user_session();
    other.audience = Some("https://other-mcp.test".into());
    let err = run(other, None, &rules()).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::TokenExchangeInvalid);
    assert!(err.to_string().contains("exchange.from"), "{err}");
    // With several audiences allowed, the request names one.
    let two = ExchangeRules {
        to: vec![DOWNSTREAM.into(), "https://billing.test".into()],
        ..rules()
    };
    let err = run(user_session(), None, &two).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidTarget);
}

#[test]
fn subject_tokens_are_this_issuers_access_tokens_of_the_type_named() {
    let issuer = issuer();
    let token = issuer.sign_access_for_tests(&user_session(), T0);
    let refuse = |request: ExchangeRequest<'_>, now: u64| {
        let err = subject_token(&issuer, &request, now)
            .and_then(|subject| {
                exchange(
                    &issuer,
                    ("mcp-server", &rules()),
                    &subject,
                    &request,
                    None,
                    now,
                )
            })
            .unwrap_err();
        assert_eq!(err.error_code(), ErrorCode::TokenExchangeInvalid, "{err}");
        err.to_string()
    };
    let other_issuer = support::issuer().sign_access_for_tests(&user_session(), T0);
    assert!(refuse(request(&other_issuer), T0).contains("subject token"));
    assert!(refuse(request(&token), T0 + 3600).contains("exp"));
    let refresh = issuer.sign_refresh_for_tests(&user_session(), T0);
    refuse(request(&refresh), T0);
    let id_token = ExchangeRequest {
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        ..request(&token)
    };
    assert!(refuse(id_token, T0).contains("subject_token_type"));
    let jwt = ExchangeRequest {
        requested_token_type: Some("urn:ietf:params:oauth:token-type:jwt"),
        ..request(&token)
    };
    assert!(refuse(jwt, T0).contains("requested_token_type"));
    let actor = ExchangeRequest {
        actor_token: true,
        ..request(&token)
    };
    assert!(refuse(actor, T0).contains("actor_token"));
}

#[test]
fn a_bound_subject_token_is_exchanged_only_with_a_proof_by_its_key() {
    let issuer = issuer();
    let mut session = user_session();
    session.jkt = Some("jkt-of-the-client".into());
    let token = issuer.sign_access_for_tests(&session, T0);
    let run = |jkt: Option<&str>| {
        let request = request(&token);
        let subject = subject_token(&issuer, &request, T0).unwrap();
        exchange(
            &issuer,
            ("mcp-server", &rules()),
            &subject,
            &request,
            jkt,
            T0,
        )
    };
    assert_eq!(
        run(None).unwrap_err().error_code(),
        ErrorCode::DpopProofInvalid
    );
    assert_eq!(
        run(Some("another-key")).unwrap_err().error_code(),
        ErrorCode::DpopBindingMismatch
    );
    let bound = run(Some("jkt-of-the-client")).unwrap();
    assert_eq!(bound.token_type, "DPoP");
    // An unbound subject token's exchange binds to the proof it comes with.
    let free = issuer.sign_access_for_tests(&user_session(), T0);
    let claims = exchanged(&issuer, &request(&free), Some("jkt-of-the-server"));
    assert_eq!(claims["cnf"], json!({"jkt": "jkt-of-the-server"}));
}

#[test]
fn ending_the_subject_tokens_session_revokes_the_exchanged_token() {
    let world = World::new();
    let issuer = &world.issuer;
    let subject = issuer.sign_access_for_tests(&user_session(), T0);
    let request = request(&subject);
    let claims = subject_token(issuer, &request, T0).unwrap();
    let token = exchange(
        issuer,
        ("mcp-server", &rules()),
        &claims,
        &request,
        None,
        T0,
    )
    .unwrap();
    let exchanged = issuer
        .verify_access_any_audience(&token.access_token, T0)
        .unwrap();
    assert!(block_on(world.revocations.check(exchanged.ids())).is_ok());
    block_on(
        world
            .revocations
            .revoke_session("sid-user", T0 + 86_400, T0),
    )
    .unwrap();
    let err = block_on(world.revocations.check(exchanged.ids())).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::JwtRevoked);
}

#[test]
fn exchanging_needs_the_permission_and_rules_that_allow_something() {
    let mut rules = ClientRules {
        exchange: Some(rules()),
        ..ClientRules::default()
    };
    assert!(rules.validate().is_err(), "rules without the permission");
    assert_eq!(
        rules.exchange_rules().unwrap_err().error_code(),
        ErrorCode::UnauthorizedClient
    );
    rules.permissions.push(Permission::Exchange);
    assert!(rules.validate().is_ok());
    assert!(rules.exchange_rules().is_ok());
    rules.exchange = Some(ExchangeRules {
        to: Vec::new(),
        ..self::rules()
    });
    assert!(rules.validate().is_err());
    rules.exchange = None;
    assert!(rules.validate().is_err(), "the permission without rules");
    assert!(!Permission::ALL.contains(&Permission::Exchange));
}

// --- The JWT bearer grant, ID-JAG profile ---

const IDP: &str = "https://idp.test";

fn trust() -> TrustedIssuer {
    TrustedIssuer {
        issuer: IDP.into(),
        jwks_uri: None,
        clients: vec!["agent".into()],
        resources: vec![MCP.into(), DOWNSTREAM.into()],
        scopes: None,
        subject_claim: None,
        subject_prefix: Some("idp|".into()),
        claims: vec!["email".into()],
    }
}

/// The ID-JAGs a test identity provider signs.
trait IdJags {
    fn id_jag(&self, typ: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String;
}

impl IdJags for ProviderKeys {
    fn id_jag(&self, typ: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut custom = Map::from_iter([
            ("client_id".into(), json!("agent")),
            ("resource".into(), json!(MCP)),
            ("scope".into(), json!("files:read files:write")),
            ("email".into(), json!("u@corp.test")),
        ]);
        edit(&mut custom);
        let exp = custom.remove("exp").and_then(|e| e.as_u64());
        let claims = JWTClaims {
            issued_at: Some(UnixTimeStamp::from_secs(T0)),
            expires_at: Some(UnixTimeStamp::from_secs(exp.unwrap_or(T0 + 300))),
            invalid_before: None,
            issuer: Some(IDP.into()),
            subject: Some("00u-alice".into()),
            audiences: Some(Audiences::AsString(ISSUER.into())),
            jwt_id: Some(format!("jti-{}", custom.len())),
            nonce: None,
            custom,
        };
        self.sign(claims, typ)
    }
}

fn check() -> GrantCheck<'static> {
    GrantCheck {
        audience: ISSUER,
        client_id: "agent",
        resource: None,
        scope: None,
        now: T0 + 5,
        leeway: 30,
    }
}

#[test]
fn an_id_jag_grants_its_user_a_token_for_its_resource() {
    let idp = ProviderKeys::new();
    let assertion = idp.id_jag(ID_JAG_TYP, |_| {});
    let grant = verify_identity_assertion(&assertion, &idp.jwks(), &trust(), &check()).unwrap();
    assert_eq!(grant.sub, "idp|00u-alice", "the subject, prefixed");
    assert_eq!(grant.audience, MCP);
    assert_eq!(grant.scope.as_deref(), Some("files:read files:write"));
    assert_eq!(grant.remember_until, T0 + 300 + 30);
    let issuer = issuer();
    let token = issue_for_assertion(&issuer, "agent", grant, None, T0 + 5).unwrap();
    let claims = issuer
        .verify_access_any_audience(&token.access_token, T0 + 5)
        .unwrap();
    assert_eq!(claims.sub, "idp|00u-alice");
    assert_eq!(claims.client_id, "agent");
    assert_eq!(claims.claims.as_map()["email"], "u@corp.test");
    assert_eq!(claims.claims.as_map()["aud"], MCP);
    assert!(claims.claims.as_map().get("act").is_none());
}

#[test]
fn an_id_jag_is_refused_unless_everything_holds() {
    let idp = ProviderKeys::new();
    let refuse = |assertion: String, check: GrantCheck<'_>, trust: TrustedIssuer| {
        let err = verify_identity_assertion(&assertion, &idp.jwks(), &trust, &check).unwrap_err();
        (err.error_code(), err.to_string())
    };
    let ok = || idp.id_jag(ID_JAG_TYP, |_| {});
    // Not an ID-JAG.
    let (code, why) = refuse(idp.id_jag("JWT", |_| {}), check(), trust());
    assert_eq!(code, ErrorCode::AssertionGrantInvalid);
    assert!(why.contains("typ"), "{why}");
    // For another authorization server.
    let other_as = GrantCheck {
        audience: "https://other-as.test",
        ..check()
    };
    assert!(refuse(ok(), other_as, trust()).1.contains("aud"));
    // Presented by another client than it names.
    let other_client = GrantCheck {
        client_id: "stranger",
        ..check()
    };
    assert!(refuse(ok(), other_client, trust()).1.contains("client_id"));
    // From an issuer not trusted under that name.
    let other_idp = TrustedIssuer {
        issuer: "https://other-idp.test".into(),
        ..trust()
    };
    assert!(refuse(ok(), check(), other_idp).1.contains("iss"));
    // Signed by a key not the provider's.
    let forged = ProviderKeys::new().id_jag(ID_JAG_TYP, |_| {});
    assert_eq!(
        refuse(forged, check(), trust()).0,
        ErrorCode::AssertionGrantInvalid
    );
    // Expired, and long-lived.
    let late = GrantCheck {
        now: T0 + 400,
        ..check()
    };
    assert!(refuse(ok(), late, trust()).1.contains("exp"));
    let long = idp.id_jag(ID_JAG_TYP, |c| {
        c.insert("exp".into(), json!(T0 + 3600));
    });
    assert!(refuse(long, check(), trust()).1.contains("seconds away"));
    // A client the trust does not name.
    let unlisted = TrustedIssuer {
        clients: vec!["someone-else".into()],
        ..trust()
    };
    assert!(refuse(ok(), check(), unlisted)
        .1
        .contains("may not present"));
}

#[test]
fn an_id_jag_bounds_resource_and_scope() {
    let idp = ProviderKeys::new();
    let assertion = idp.id_jag(ID_JAG_TYP, |_| {});
    let with = |check: GrantCheck<'_>, trust: TrustedIssuer| {
        verify_identity_assertion(&assertion, &idp.jwks(), &trust, &check)
    };
    let elsewhere = GrantCheck {
        resource: Some(DOWNSTREAM),
        ..check()
    };
    assert_eq!(
        with(elsewhere, trust()).unwrap_err().error_code(),
        ErrorCode::InvalidTarget,
        "the assertion grants the MCP server only"
    );
    let untrusted_resource = TrustedIssuer {
        resources: vec![DOWNSTREAM.into()],
        ..trust()
    };
    assert_eq!(
        with(check(), untrusted_resource).unwrap_err().error_code(),
        ErrorCode::InvalidTarget
    );
    let narrower = GrantCheck {
        scope: Some("files:read"),
        ..check()
    };
    assert_eq!(
        with(narrower, trust()).unwrap().scope.as_deref(),
        Some("files:read")
    );
    let wider = GrantCheck {
        scope: Some("files:read admin"),
        ..check()
    };
    assert_eq!(
        with(wider, trust()).unwrap_err().error_code(),
        ErrorCode::InvalidScope
    );
    // The trust's scopes bound what an assertion grants.
    let read_only = TrustedIssuer {
        scopes: Some(vec!["files:read".into()]),
        ..trust()
    };
    assert_eq!(
        with(check(), read_only.clone()).unwrap().scope.as_deref(),
        Some("files:read")
    );
    let asks_write = GrantCheck {
        scope: Some("files:write"),
        ..check()
    };
    assert_eq!(
        with(asks_write, read_only).unwrap_err().error_code(),
        ErrorCode::InvalidScope
    );
}

#[test]
fn a_trust_must_name_clients_and_resources_and_carry_no_reserved_claim() {
    assert!(trust().validate().is_ok());
    let none = TrustedIssuer {
        clients: Vec::new(),
        ..trust()
    };
    assert!(none.validate().is_err());
    let reserved = TrustedIssuer {
        claims: vec!["sid".into()],
        ..trust()
    };
    assert!(reserved.validate().is_err());
}
