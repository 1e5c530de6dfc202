//! JWKS import and export.

use edge_jwt_core::keys::SigningKey;
use edge_jwt_core::{Algorithm, KeySet, VerificationKeys};
use serde_json::{json, Value};

fn public_ed25519() -> Value {
    let set = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
    set.public_jwks()["keys"][0].clone()
}

fn code(text: &str, hs256: bool) -> &'static str {
    let algorithms: &[Algorithm] = &[Algorithm::HS256];
    VerificationKeys::from_jwks(text, hs256.then_some(algorithms))
        .unwrap_err()
        .code()
}

#[test]
fn public_export_is_rfc8037_and_rfc7518_with_kid() {
    let ed = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let es = SigningKey::generate(Algorithm::ES256).unwrap();
    let hs = SigningKey::generate(Algorithm::HS256).unwrap();
    let set = KeySet::new(vec![ed, es, hs]).unwrap();
    let jwks = set.public_jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "the HS256 secret is never published");
    assert_eq!(
        (keys[0]["kty"].as_str(), keys[0]["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert_eq!(keys[0]["alg"], "EdDSA");
    assert_eq!(keys[0]["kid"], set.keys()[0].kid());
    assert_eq!(
        (keys[1]["kty"].as_str(), keys[1]["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert_eq!(keys[1]["alg"], "ES256");
    for key in keys {
        assert!(
            key.get("d").is_none(),
            "no private member in the public JWKS"
        );
    }
    // And it imports back.
    let keys = VerificationKeys::from_jwks(&jwks.to_string(), None).unwrap();
    assert_eq!(keys.algorithms(), vec![Algorithm::EdDSA, Algorithm::ES256]);
}

#[test]
fn private_export_round_trips_into_the_same_signer() {
    let set = KeySet::new(vec![
        SigningKey::generate(Algorithm::ES256).unwrap(),
        SigningKey::generate(Algorithm::EdDSA).unwrap(),
    ])
    .unwrap();
    let again = KeySet::from_jwks(&set.private_jwks().to_string()).unwrap();
    assert_eq!(again.signer().kid(), set.signer().kid());
    assert_eq!(again.signer().algorithm(), Algorithm::ES256);
    assert_eq!(again.public_jwks(), set.public_jwks());
}

#[test]
fn unknown_entries_are_skipped() {
    let jwks = json!({"keys": [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"},
        {"kty": "OKP", "crv": "X25519", "x": "AAAA", "kid": "x"},
        {"kty": "EC", "crv": "P-521", "x": "AAAA", "y": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "alg": "ES256"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "use": "enc"},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "key_ops": ["encrypt"]},
        public_ed25519(),
    ]});
    let keys = VerificationKeys::from_jwks(&jwks.to_string(), None).unwrap();
    assert_eq!(keys.keys().len(), 1);
}

#[test]
fn a_jwks_without_a_usable_key_is_an_error() {
    let jwks = json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}).to_string();
    assert_eq!(code(&jwks, false), "ERR_JWKS_INVALID");
    assert_eq!(code(r#"{"keys": []}"#, false), "ERR_JWKS_INVALID");
    assert_eq!(code("not json", false), "ERR_JWKS_INVALID");
    assert_eq!(code("[]", false), "ERR_JWKS_INVALID");
    assert_eq!(code(r#"{"keys": 1}"#, false), "ERR_JWKS_INVALID");
    assert_eq!(code(&"x".repeat(70_000), false), "ERR_JWKS_INVALID");
}

#[test]
fn no_usable_key_names_every_skipped_key_and_why() {
    let jwks = json!({"keys": [
        {"kty": "RSA", "kid": "rsa-1", "n": "AQAB", "e": "AQAB"},
        {"kty": "OKP", "crv": "Ed25519", "kid": "enc-1", "use": "enc", "x": "AAAA"},
        {"kty": "oct", "kid": "hs-1", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
        {"kty": "EC", "crv": "P-521"},
    ]});
    let err = VerificationKeys::from_jwks(&jwks.to_string(), None).unwrap_err();
    let text = err.to_string();
    for expected in [
        "key \"rsa-1\" skipped: an RSA key without \"alg\" is used only for the RSA algorithms the algorithms option names",
        "key \"enc-1\" skipped: \"use\" is \"enc\"",
        "key \"hs-1\" skipped: a shared secret (oct) is used only when the algorithms option names \"HS256\"",
        "key #3 (no kid) skipped: kty \"EC\" with crv \"P-521\"",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
}

#[test]
fn a_single_jwk_is_accepted() {
    let keys = VerificationKeys::from_jwks(&public_ed25519().to_string(), None).unwrap();
    assert_eq!(keys.keys().len(), 1);
}

#[test]
fn broken_key_material_of_a_known_type_is_an_error_not_a_skip() {
    let mut key = public_ed25519();
    key["x"] = json!("AAAA");
    let jwks = json!({"keys": [key, public_ed25519()]}).to_string();
    assert_eq!(code(&jwks, false), "ERR_JWKS_INVALID");
}

#[test]
fn a_repeated_kid_is_refused() {
    let mut a = public_ed25519();
    let mut b = public_ed25519();
    a["kid"] = json!("same");
    b["kid"] = json!("same");
    assert_eq!(
        code(&json!({"keys": [a, b]}).to_string(), false),
        "ERR_JWKS_INVALID"
    );
}

#[test]
fn a_verifier_is_never_handed_a_private_key() {
    let set = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
    assert_eq!(
        code(&set.private_jwks().to_string(), false),
        "ERR_JWKS_INVALID"
    );
}

#[test]
fn shared_secrets_need_opting_in_and_are_never_mixed_with_public_keys() {
    let secret = json!({"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"});
    let only_secret = json!({"keys": [secret]}).to_string();
    assert_eq!(code(&only_secret, false), "ERR_JWKS_INVALID");
    assert!(VerificationKeys::from_jwks(&only_secret, Some(&[Algorithm::HS256])).is_ok());
    let mixed = json!({"keys": [secret, public_ed25519()]}).to_string();
    assert_eq!(code(&mixed, true), "ERR_JWKS_INVALID");
    // Without HS256 allowed, the secret is skipped and the public key is used alone.
    assert_eq!(
        VerificationKeys::from_jwks(&mixed, None)
            .unwrap()
            .keys()
            .len(),
        1
    );
    let short =
        json!({"kty": "oct", "k": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}).to_string();
    assert!(
        VerificationKeys::from_jwks(&short, Some(&[Algorithm::HS256])).is_ok(),
        "32 bytes is enough"
    );
    let too_short =
        json!({"kty": "oct", "k": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg"}).to_string();
    assert_eq!(code(&too_short, true), "ERR_JWKS_INVALID");
}

#[test]
fn a_signing_key_set_needs_kids_and_private_keys() {
    let mut key = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()])
        .unwrap()
        .private_jwks()["keys"][0]
        .clone();
    key.as_object_mut().unwrap().remove("kid");
    let err = KeySet::from_jwks(&json!({"keys": [key]}).to_string()).unwrap_err();
    assert_eq!(err.code(), "ERR_JWKS_INVALID");
    let err = KeySet::from_jwks(&json!({"keys": [public_ed25519()]}).to_string()).unwrap_err();
    assert_eq!(err.code(), "ERR_JWKS_INVALID");
}
