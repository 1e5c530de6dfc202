//! The JWS examples printed in the RFCs, verified against the keys printed there.

use edge_jwt_core::{VerificationKeys, Verifier, VerifyOptions};

/// RFC 8037 Appendix A.4: an Ed25519 JWS over "Example of Ed25519 signing" (not a JWT).
#[test]
fn rfc8037_a4_ed25519_jws_verifies() {
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let verifier = Verifier::new(
        VerificationKeys::from_jwks(jwk, false).unwrap(),
        VerifyOptions::default(),
    )
    .unwrap();
    let (header, payload) = verifier.verify_jws(token).unwrap();
    assert_eq!(header.alg, "EdDSA");
    assert_eq!(payload, b"Example of Ed25519 signing");

    // One flipped bit in the signature, and it no longer verifies.
    let tampered = token.replace("hgyY0il", "hgyY0im");
    assert_eq!(
        verifier.verify_jws(&tampered).unwrap_err().code(),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
    );
}

/// RFC 7515 Appendix A.1: an HS256 JWT (`typ` JWT, `exp` 1300819380), verified at a fixed time.
#[test]
fn rfc7515_a1_hs256_jwt_verifies_with_fixed_clock() {
    let jwk = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
    let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let options = VerifyOptions {
        issuer: Some("joe".into()),
        typ: Some("JWT".into()),
        ..VerifyOptions::default()
    };
    let verifier = Verifier::new(VerificationKeys::from_jwks(jwk, true).unwrap(), options).unwrap();
    let claims = verifier.verify(token, 1_300_819_370).unwrap();
    assert_eq!(claims.as_map()["http://example.com/is_root"], true);
    assert_eq!(claims.as_map()["exp"], 1_300_819_380u64);

    // The same token, long after its `exp`: expired, not accepted through any default leeway.
    let late = verifier.verify(token, 1_300_819_380 + 31).unwrap_err();
    assert_eq!(late.code(), "ERR_JWT_EXPIRED");

    // Without HS256 allowed, the secret is not even loaded.
    assert_eq!(
        VerificationKeys::from_jwks(jwk, false).unwrap_err().code(),
        "ERR_JWKS_INVALID"
    );
}
