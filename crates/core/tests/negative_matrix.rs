//! The verifier's negative matrix: one test per way a token can be wrong, each expecting its
//! exact, stable error code. Tokens are issued by the real issuer or signed raw with real keys.

mod support;

use edge_jwt_core::keys::{PrivateKey, SigningKey};
use edge_jwt_core::SessionClaims;
use edge_jwt_core::{Algorithm, Error, KeySet, VerificationKeys, Verifier, VerifyOptions};
use serde_json::{json, Map, Value};
use support::*;

fn record(now: u64) -> SessionClaims {
    SessionClaims {
        sid: "sid-1".into(),
        sub: "user-1".into(),
        client_id: "app".into(),
        scope: Some("read".into()),
        claims: Map::new(),
        ends_at: now + 30 * 86_400,
        jkt: None,
        audience: None,
        confidential: false,
    }
}

struct Fixture {
    issuer: edge_jwt_core::TokenIssuer,
    verifier: Verifier,
}

fn fixture() -> Fixture {
    let issuer = issuer();
    let verifier = issuer.access_verifier().clone();
    Fixture { issuer, verifier }
}

impl Fixture {
    fn signer(&self) -> &SigningKey {
        self.issuer.keys().signer()
    }
    fn header(&self) -> Value {
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": self.signer().kid()})
    }
    fn claims(&self) -> Value {
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "jti": "j1", "sid": "s1",
               "client_id": "app", "iat": T0, "exp": T0 + 300})
    }
    fn raw(&self, header: &Value, claims: &Value) -> String {
        sign_raw(self.signer(), header, claims.to_string().as_bytes())
    }
    fn access_token(&self) -> String {
        self.issuer.sign_access_for_tests(&record(T0), T0)
    }
    fn verify(&self, token: &str, now: u64) -> Result<(), Error> {
        self.verifier.verify(token, now).map(|_| ())
    }
}

fn assert_code(result: Result<(), Error>, code: &str) -> Error {
    let err = result.expect_err("the token must be refused");
    assert_eq!(err.code(), code, "{err}");
    err
}

#[test]
fn a_well_formed_token_verifies() {
    let f = fixture();
    f.verify(&f.access_token(), T0).unwrap();
    f.verify(&f.raw(&f.header(), &f.claims()), T0).unwrap();
}

#[test]
fn alg_none_is_not_allowed() {
    let f = fixture();
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": f.signer().kid()});
    let token = format!(
        "{}.{}.",
        edge_jwt_core::jose::b64::encode(header.to_string().as_bytes()),
        edge_jwt_core::jose::b64::encode(f.claims().to_string().as_bytes())
    );
    assert_code(f.verify(&token, T0), "ERR_JOSE_ALG_NOT_ALLOWED");
}

#[test]
fn hs256_signed_with_the_ed25519_public_key_is_not_allowed() {
    let f = fixture();
    let PrivateKey::Ed25519(ed) = f.signer().private_key() else {
        panic!("EdDSA fixture")
    };
    let public_bytes = ed.public_key().to_bytes();
    let forger = SigningKey::new(
        f.signer().kid(),
        PrivateKey::Hs256(jwt_simple::prelude::HS256Key::from_bytes(&public_bytes)),
    )
    .unwrap();
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": f.signer().kid()});
    let token = sign_raw(&forger, &header, f.claims().to_string().as_bytes());
    assert_code(f.verify(&token, T0), "ERR_JOSE_ALG_NOT_ALLOWED");
}

#[test]
fn a_refresh_token_is_not_an_access_token() {
    let f = fixture();
    let refresh = f.issuer.sign_refresh_for_tests(&record(T0), T0);
    let err = assert_code(f.verify(&refresh, T0), "ERR_JWT_CLAIM_VALIDATION_FAILED");
    assert_eq!(err.claim(), Some("typ"));
}

#[test]
fn an_access_token_is_not_a_refresh_token() {
    let f = fixture();
    let err = f.issuer.verify_refresh(&f.access_token(), T0).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_CLAIM_VALIDATION_FAILED");
    assert_eq!(err.claim(), Some("typ"));
}

#[test]
fn exp_one_second_past_the_leeway_is_expired() {
    let f = fixture();
    let token = f.access_token();
    let exp = T0 + 300;
    let err = assert_code(f.verify(&token, exp + 30 + 1), "ERR_JWT_EXPIRED");
    assert_eq!(err.claim(), Some("exp"));
}

#[test]
fn exp_one_second_inside_the_leeway_is_accepted() {
    let f = fixture();
    let exp = T0 + 300;
    f.verify(&f.access_token(), exp + 30 - 1).unwrap();
}

#[test]
fn jwt_simple_default_leeway_never_applies() {
    let f = fixture();
    // Ten minutes after exp: inside jwt-simple's 15-minute default, far outside ours.
    assert_code(
        f.verify(&f.access_token(), T0 + 300 + 600),
        "ERR_JWT_EXPIRED",
    );
}

#[test]
fn nbf_in_the_future_fails_the_nbf_claim() {
    let f = fixture();
    let mut claims = f.claims();
    claims["nbf"] = json!(T0 + 31);
    let err = assert_code(
        f.verify(&f.raw(&f.header(), &claims), T0),
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
    assert_eq!(err.claim(), Some("nbf"));
    assert_eq!(err.reason(), Some("check_failed"));
    claims["nbf"] = json!(T0 + 29);
    f.verify(&f.raw(&f.header(), &claims), T0).unwrap();
}

#[test]
fn iat_in_the_future_fails_the_iat_claim() {
    let f = fixture();
    let mut claims = f.claims();
    claims["iat"] = json!(T0 + 31);
    let err = assert_code(
        f.verify(&f.raw(&f.header(), &claims), T0),
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
    assert_eq!(err.claim(), Some("iat"));
}

#[test]
fn wrong_issuer_fails_the_iss_claim() {
    let f = fixture();
    let mut claims = f.claims();
    claims["iss"] = json!("https://evil.test");
    let err = assert_code(
        f.verify(&f.raw(&f.header(), &claims), T0),
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
    assert_eq!(err.claim(), Some("iss"));
}

#[test]
fn wrong_audience_fails_the_aud_claim() {
    let f = fixture();
    let mut claims = f.claims();
    claims["aud"] = json!(["https://other.test"]);
    let err = assert_code(
        f.verify(&f.raw(&f.header(), &claims), T0),
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
    assert_eq!(err.claim(), Some("aud"));
    claims["aud"] = json!(["https://other.test", AUDIENCE]);
    f.verify(&f.raw(&f.header(), &claims), T0).unwrap();
}

#[test]
fn missing_exp_is_refused() {
    let f = fixture();
    let mut claims = f.claims();
    claims.as_object_mut().unwrap().remove("exp");
    let err = assert_code(
        f.verify(&f.raw(&f.header(), &claims), T0),
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
    assert_eq!((err.claim(), err.reason()), (Some("exp"), Some("missing")));
}

#[test]
fn unknown_kid_has_no_matching_key() {
    let f = fixture();
    let mut header = f.header();
    header["kid"] = json!("some-other-key");
    assert_code(
        f.verify(&f.raw(&header, &f.claims()), T0),
        "ERR_JWKS_NO_MATCHING_KEY",
    );
}

#[test]
fn tampered_payload_fails_the_signature() {
    let f = fixture();
    let token = f.access_token();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&edge_jwt_core::jose::b64::decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        edge_jwt_core::jose::b64::encode(claims.to_string().as_bytes()),
        parts[2]
    );
    assert_code(
        f.verify(&forged, T0),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    );
}

#[test]
fn truncated_token_is_an_invalid_jws() {
    let f = fixture();
    let token = f.access_token();
    let without_signature = &token[..token.rfind('.').unwrap()];
    assert_code(f.verify(without_signature, T0), "ERR_JWS_INVALID");
    // A signature cut short (re-encoded canonically) is no longer a signature.
    let last = token.rfind('.').unwrap();
    let signature = edge_jwt_core::jose::b64::decode(&token[last + 1..]).unwrap();
    let short = format!(
        "{}{}",
        &token[..last + 1],
        edge_jwt_core::jose::b64::encode(&signature[..signature.len() - 3])
    );
    assert_code(
        f.verify(&short, T0),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    );
}

#[test]
fn non_base64url_characters_are_an_invalid_jws() {
    let f = fixture();
    let token = f.access_token();
    let last = token.rfind('.').unwrap();
    let with_plus = format!("{}+{}", &token[..last + 1], &token[last + 2..]);
    assert_code(f.verify(&with_plus, T0), "ERR_JWS_INVALID");
    let padded = format!("{token}==");
    assert_code(f.verify(&padded, T0), "ERR_JWS_INVALID");
    let spaced = format!(" {token}");
    assert_code(f.verify(&spaced, T0), "ERR_JWS_INVALID");
}

#[test]
fn a_json_array_payload_is_an_invalid_jwt() {
    let f = fixture();
    let token = sign_raw(f.signer(), &f.header(), b"[1,2,3]");
    assert_code(f.verify(&token, T0), "ERR_JWT_INVALID");
}

#[test]
fn a_token_over_the_length_limit_is_refused_before_decoding() {
    let f = fixture();
    let mut claims = f.claims();
    claims["pad"] = json!("x".repeat(8192));
    let token = f.raw(&f.header(), &claims);
    assert!(token.len() > 8192);
    let err = assert_code(f.verify(&token, T0), "ERR_JWS_INVALID");
    assert!(err.to_string().contains("length"), "{err}");
    // Not even structure is looked at: 9 KB of garbage gets the same answer.
    assert_code(f.verify(&"!".repeat(9000), T0), "ERR_JWS_INVALID");
}

#[test]
fn a_duplicated_claim_name_is_an_invalid_jwt() {
    let f = fixture();
    let payload = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"user-1","exp":{},"sub":"admin"}}"#,
        T0 + 300
    );
    let token = sign_raw(f.signer(), &f.header(), payload.as_bytes());
    assert_code(f.verify(&token, T0), "ERR_JWT_INVALID");
}

#[test]
fn a_crit_header_is_refused() {
    let f = fixture();
    let mut header = f.header();
    header["crit"] = json!(["exp"]);
    header["exp"] = json!(1);
    assert_code(
        f.verify(&f.raw(&header, &f.claims()), T0),
        "ERR_JWS_INVALID",
    );
}

#[test]
fn jku_and_embedded_jwk_headers_are_never_followed() {
    let f = fixture();
    let attacker = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": f.signer().kid(),
                        "jku": "https://evil.test/jwks.json",
                        "jwk": edge_jwt_core::KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap().public_jwks()["keys"][0]});
    let token = sign_raw(&attacker, &header, f.claims().to_string().as_bytes());
    assert_code(
        f.verify(&token, T0),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    );
}

#[test]
fn max_age_expires_old_tokens_by_iat() {
    let f = fixture();
    let keys = f.issuer.keys().verification_keys();
    let options = VerifyOptions {
        max_age: Some(60),
        ..f.verifier.options().clone()
    };
    let verifier = Verifier::new(keys, options).unwrap();
    let token = f.access_token();
    verifier.verify(&token, T0 + 60 + 29).unwrap();
    let err = verifier.verify(&token, T0 + 60 + 31).unwrap_err();
    assert_eq!((err.code(), err.claim()), ("ERR_JWT_EXPIRED", Some("iat")));
}

#[test]
fn ed25519_is_accepted_as_an_alg_name_of_eddsa() {
    let f = fixture();
    let mut header = f.header();
    header["alg"] = json!("Ed25519");
    f.verify(&f.raw(&header, &f.claims()), T0).unwrap();
}

#[test]
fn an_algorithm_outside_the_allow_list_is_refused() {
    let hs = SigningKey::generate(Algorithm::HS256).unwrap();
    let ed = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let keys = KeySet::new(vec![ed, hs]).unwrap();
    let options = VerifyOptions {
        algorithms: Some(vec![Algorithm::EdDSA]),
        typ: None,
        ..VerifyOptions::default()
    };
    let verifier = Verifier::new(keys.verification_keys(), options).unwrap();
    let header = json!({"alg": "HS256", "kid": keys.keys()[1].kid()});
    let token = sign_raw(&keys.keys()[1], &header, br#"{"exp":9999999999}"#);
    assert_eq!(
        verifier.verify(&token, T0).unwrap_err().code(),
        "ERR_JOSE_ALG_NOT_ALLOWED"
    );
    // Allowing an algorithm no key has yet is fine (an allow-list written ahead of a key
    // rotation): a token in it finds no key. An empty list is refused.
    let only_ed = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
    let ahead = Verifier::new(
        only_ed.verification_keys(),
        VerifyOptions {
            algorithms: Some(vec![Algorithm::EdDSA, Algorithm::ES256]),
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    let es = KeySet::new(vec![SigningKey::generate(Algorithm::ES256).unwrap()]).unwrap();
    let claims = jwt_simple::prelude::Claims::create(jwt_simple::prelude::Duration::from_secs(60));
    let token = es.signer().sign(claims, "at+jwt").unwrap();
    assert_eq!(
        ahead
            .verify(
                &token,
                jwt_simple::prelude::Clock::now_since_epoch().as_secs()
            )
            .unwrap_err()
            .code(),
        "ERR_JWKS_NO_MATCHING_KEY"
    );
    let empty = VerifyOptions {
        algorithms: Some(Vec::new()),
        ..VerifyOptions::default()
    };
    assert_eq!(
        Verifier::new(only_ed.verification_keys(), empty)
            .unwrap_err()
            .code(),
        "ERR_INVALID_OPTION"
    );
}

#[test]
fn every_algorithm_round_trips_and_old_keys_keep_verifying() {
    for alg in Algorithm::SIGNING {
        let old = SigningKey::generate(alg).unwrap();
        let old_kid = old.kid().to_owned();
        let old_set = KeySet::new(vec![old]).unwrap();
        let claims =
            jwt_simple::prelude::Claims::create(jwt_simple::prelude::Duration::from_secs(60));
        let token = old_set.signer().sign(claims, "at+jwt").unwrap();
        // Rotation: a new key signs, the old one still verifies until its tokens expire.
        let rotated = KeySet::from_jwks(
            &json!({"keys": [
                KeySet::new(vec![SigningKey::generate(alg).unwrap()]).unwrap().private_jwks()["keys"][0],
                old_set.private_jwks()["keys"][0],
            ]})
            .to_string(),
        )
        .unwrap();
        assert_ne!(rotated.signer().kid(), old_kid);
        let verifier =
            Verifier::new(rotated.verification_keys(), VerifyOptions::default()).unwrap();
        let now = jwt_simple::prelude::Clock::now_since_epoch().as_secs();
        verifier
            .verify(&token, now)
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        // And public verifiers get the same answer from the JWKS (HS256 is never published).
        if alg != Algorithm::HS256 {
            let public =
                VerificationKeys::from_jwks(&rotated.public_jwks().to_string(), None).unwrap();
            Verifier::new(public, VerifyOptions::default())
                .unwrap()
                .verify(&token, now)
                .unwrap();
        } else {
            assert_eq!(rotated.public_jwks()["keys"].as_array().unwrap().len(), 0);
        }
    }
}

#[test]
fn a_host_checked_signature_gets_every_other_rule_and_only_offered_keys() {
    let f = fixture();
    let token = f.access_token();
    let job = f.verifier.signature_job(&token, T0).unwrap();
    assert_eq!(job.algorithm, Algorithm::EdDSA);
    assert_eq!(job.keys, vec![0]);
    // What the host checks is exactly what the core checks.
    let key = f.issuer.keys().verification_keys().keys()[0].key.clone();
    assert!(key.verifies(&job.signing_input, &job.signature));
    let parsed = job.outcome.unwrap();
    assert_eq!(parsed.claims().string("sub").unwrap(), Some("user-1"));
    // The claims' JSON text is the payload as signed.
    let payload = token.split('.').nth(1).unwrap();
    assert_eq!(
        edge_jwt_core::jose::b64::decode(payload).unwrap(),
        parsed.json.as_bytes()
    );
    // Every rule besides the signature still applies...
    let late = f.verifier.signature_job(&token, T0 + 400).unwrap();
    assert_eq!(late.outcome.unwrap_err().code(), "ERR_JWT_EXPIRED");
    // ...and a signature of the wrong length is refused before any host sees it.
    let (head, _) = token.rsplit_once('.').unwrap();
    let short = format!("{head}.AAAA");
    assert_eq!(
        f.verifier.signature_job(&short, T0).unwrap_err().code(),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
    // Keys loaded from a JWKS say where they stand in it.
    let mut jwks = f.issuer.keys().public_jwks();
    jwks["keys"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}));
    let public = VerificationKeys::from_jwks(&jwks.to_string(), None).unwrap();
    let verifier = Verifier::new(public, VerifyOptions::default()).unwrap();
    let job = verifier.signature_job(&token, T0).unwrap();
    assert_eq!(verifier.key_position(job.keys[0]), Some(1));
}

/// A verifier over the fixture's keys with other options.
fn verifier_with(f: &Fixture, options: VerifyOptions) -> Verifier {
    let jwks = f.issuer.keys().public_jwks().to_string();
    Verifier::new(VerificationKeys::from_jwks(&jwks, None).unwrap(), options).unwrap()
}

#[test]
fn required_claim_values_are_checked() {
    let f = fixture();
    let options = VerifyOptions {
        required_claims: vec![("token_use".into(), json!("access"))],
        ..VerifyOptions::default()
    };
    let v = verifier_with(&f, options);
    let mut claims = f.claims();
    claims["token_use"] = json!("access");
    v.verify(&f.raw(&f.header(), &claims), T0).unwrap();

    claims["token_use"] = json!("id");
    let err = v.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_CLAIM_VALIDATION_FAILED");
    assert_eq!(
        (err.claim(), err.reason()),
        (Some("token_use"), Some("check_failed"))
    );

    claims.as_object_mut().unwrap().remove("token_use");
    let err = v.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert_eq!(
        (err.claim(), err.reason()),
        (Some("token_use"), Some("missing"))
    );
}

#[test]
fn authorized_parties_check_azp() {
    let f = fixture();
    let options = VerifyOptions {
        authorized_parties: Some(vec!["https://app.example".into()]),
        ..VerifyOptions::default()
    };
    let v = verifier_with(&f, options);
    let mut claims = f.claims();
    claims["azp"] = json!("https://app.example");
    v.verify(&f.raw(&f.header(), &claims), T0).unwrap();

    claims["azp"] = json!("https://evil.example");
    let err = v.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert_eq!(
        (err.claim(), err.reason()),
        (Some("azp"), Some("check_failed"))
    );

    claims["azp"] = json!(["https://app.example"]);
    let err = v.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert_eq!((err.claim(), err.reason()), (Some("azp"), Some("invalid")));

    claims.as_object_mut().unwrap().remove("azp");
    let err = v.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert_eq!((err.claim(), err.reason()), (Some("azp"), Some("missing")));
}

#[test]
fn a_failed_check_names_what_was_expected_and_what_the_token_has() {
    let f = fixture();
    let mut claims = f.claims();
    claims["iss"] = json!("https://issuer.test/");
    let err = f.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "unexpected \"iss\" claim value: expected \"{ISSUER}\", got \"https://issuer.test/\""
        )
    );
    let mut claims = f.claims();
    claims["aud"] = json!(["https://other.test"]);
    let err = f.verify(&f.raw(&f.header(), &claims), T0).unwrap_err();
    assert!(
        err.to_string().contains(AUDIENCE) && err.to_string().contains("https://other.test"),
        "{err}"
    );
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": f.signer().kid()});
    let err = f.verify(&f.raw(&header, &f.claims()), T0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected \"typ\" header value: expected \"at+jwt\" (the typ option; null skips the check), got \"JWT\""
    );
    let options = VerifyOptions {
        required_claims: vec![("token_use".into(), json!("access"))],
        ..VerifyOptions::default()
    };
    let mut claims = f.claims();
    claims["token_use"] = json!("id");
    let err = verifier_with(&f, options)
        .verify(&f.raw(&f.header(), &claims), T0)
        .unwrap_err();
    assert!(
        err.to_string().ends_with("expected \"access\", got \"id\""),
        "{err}"
    );
    // The code, the claim and the reason stay as jose reports them.
    assert_eq!(
        (err.code(), err.claim(), err.reason()),
        (
            "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Some("token_use"),
            Some("check_failed")
        )
    );
}
