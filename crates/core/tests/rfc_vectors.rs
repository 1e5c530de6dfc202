//! The JWS examples printed in the RFCs, verified against the keys printed there.

use edge_jwt_core::{Algorithm, VerificationKeys, Verifier, VerifyOptions};

/// RFC 8037 Appendix A.4: an Ed25519 JWS over "Example of Ed25519 signing" (not a JWT).
#[test]
fn rfc8037_a4_ed25519_jws_verifies() {
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let verifier = Verifier::new(
        VerificationKeys::from_jwks(jwk, None).unwrap(),
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
    let verifier = Verifier::new(
        VerificationKeys::from_jwks(jwk, Some(&[Algorithm::HS256])).unwrap(),
        options,
    )
    .unwrap();
    let claims = verifier.verify(token, 1_300_819_370).unwrap();
    assert_eq!(claims.as_map()["http://example.com/is_root"], true);
    assert_eq!(claims.as_map()["exp"], 1_300_819_380u64);

    // The same token, long after its `exp`: expired, not accepted through any default leeway.
    let late = verifier.verify(token, 1_300_819_380 + 31).unwrap_err();
    assert_eq!(late.code(), "ERR_JWT_EXPIRED");

    // Without HS256 allowed, the secret is not even loaded.
    assert_eq!(
        VerificationKeys::from_jwks(jwk, None).unwrap_err().code(),
        "ERR_JWKS_INVALID"
    );
}

/// RFC 7515 Appendix A.2: an RS256 JWT over the A.1 claims, with the 2048-bit key printed there.
#[test]
fn rfc7515_a2_rs256_jwt_verifies() {
    let jwk = &serde_json::json!({"kty": "RSA", "e": "AQAB", "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0B\
     m4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5\
     z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7\
     aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})
        .to_string();
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlL\
     mNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7\
     AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWz\
     O75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZES\
     c6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlU\
     PQGe77Rw";
    let options = VerifyOptions {
        issuer: Some("joe".into()),
        typ: None,
        algorithms: Some(vec![Algorithm::RS256]),
        ..VerifyOptions::default()
    };
    let keys = VerificationKeys::from_jwks(jwk, Some(&[Algorithm::RS256])).unwrap();
    let verifier = Verifier::new(keys, options).unwrap();
    let claims = verifier.verify(token, 1_300_819_370).unwrap();
    assert_eq!(claims.as_map()["http://example.com/is_root"], true);

    // The key has no `alg`: without an RSA algorithm named, it is not used at all.
    assert_eq!(
        VerificationKeys::from_jwks(jwk, None).unwrap_err().code(),
        "ERR_JWKS_INVALID"
    );
    // Named for PS256 only, it does not verify the RS256 token.
    let pss_only = VerificationKeys::from_jwks(jwk, Some(&[Algorithm::PS256])).unwrap();
    let options = VerifyOptions {
        typ: None,
        ..VerifyOptions::default()
    };
    let err = Verifier::new(pss_only, options)
        .unwrap()
        .verify_jws(token)
        .unwrap_err();
    assert_eq!(err.code(), "ERR_JWKS_NO_MATCHING_KEY");
}

/// RFC 7520 §4.2: the PS384 signature over the RFC's payload.
const RFC7520_PS384_TOKEN: &str =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ\
     2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCw\
     gYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ\
     2h0IGJlIHN3ZXB0IG9mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2Ip\
     N6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsd\
     iNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5\
     awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8D\
     YM-X72Eaw";

/// RFC 7520 §4.1 (RS256, Figure 13) and §4.2 (PS384, Figure 20), with the key of Figure 3
/// (its public part) and the payload of Figure 7.
#[test]
fn rfc7520_rs256_and_ps384_examples_verify() {
    let jwk = &serde_json::json!({"kty": "RSA", "kid": "bilbo.baggins@hobbiton.example", "use": "sig",
        "e": "AQAB", "n": "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJ\
     mSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tp\
     e-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vn\
     iUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"})
    .to_string();
    let payload = "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, \
        and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to.";
    for (alg, token) in [
        (Algorithm::RS256, "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ\
     2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCw\
     gYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ\
     2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZ\
     opdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746i\
     YTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLG\
     djluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5\
     y18kDquDg"),
        (Algorithm::PS384, RFC7520_PS384_TOKEN),
    ] {
        let keys = VerificationKeys::from_jwks(jwk, Some(&[alg])).unwrap();
        let options = VerifyOptions {
            typ: None,
            algorithms: Some(vec![alg]),
            ..VerifyOptions::default()
        };
        let (header, bytes) = Verifier::new(keys, options).unwrap().verify_jws(token).unwrap();
        assert_eq!(header.alg, alg.name());
        assert_eq!(String::from_utf8(bytes).unwrap(), payload);
    }

    // The same key marked `"alg": "PS256"` (as Wycheproof copies it) refuses the PS384 token:
    // the key's `alg` decides, never the token's.
    let marked = jwk.replacen("\"use\":\"sig\"", "\"use\":\"sig\",\"alg\":\"PS256\"", 1);
    let keys = VerificationKeys::from_jwks(&marked, None).unwrap();
    let options = VerifyOptions {
        typ: None,
        ..VerifyOptions::default()
    };
    let err = Verifier::new(keys, options)
        .unwrap()
        .verify_jws(RFC7520_PS384_TOKEN)
        .unwrap_err();
    assert_eq!(err.code(), "ERR_JOSE_ALG_NOT_ALLOWED");
}
