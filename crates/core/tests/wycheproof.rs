//! Wycheproof vectors (tests/vectors/wycheproof, Apache-2.0) through the core: an `invalid`
//! case accepted is a security bug, a `valid` one refused a bug too; each `acceptable` case and
//! each deliberate difference from a label is decided and named here.

use edge_jwt_core::keys::{HmacSecret, PublicKey, RsaPublicKey, RsaVerifyingKey, VerificationKeys};
use edge_jwt_core::{Algorithm, Verifier, VerifyOptions};
use serde_json::Value;

fn vectors(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/vectors/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("vector file")).expect("json")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Runs every test of every group through `verify`; returns how many ran. `acceptable` cases
/// are refused: every one in these files is a legacy encoding (see `rsa_pkcs1_vectors`).
fn run(file: &str, key_of: impl Fn(&Value) -> PublicKey, sig_field: &str) -> usize {
    let doc = vectors(file);
    let mut ran = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let key = key_of(group);
        for test in group["tests"].as_array().unwrap() {
            let msg = hex(test["msg"].as_str().unwrap());
            let sig = hex(test[sig_field].as_str().unwrap());
            let accepted = key.verifies(&msg, &sig) && key.fits_signature(&sig);
            let expected = test["result"] == "valid";
            assert_eq!(
                accepted, expected,
                "{file} tcId {}: {}",
                test["tcId"], test["comment"]
            );
            ran += 1;
        }
    }
    ran
}

#[test]
fn ed25519_vectors() {
    let ran = run(
        "ed25519_test.json",
        |g| PublicKey::ed25519(&hex(g["publicKey"]["pk"].as_str().unwrap())).unwrap(),
        "sig",
    );
    assert_eq!(ran, 151);
}

#[test]
fn ecdsa_p256_p1363_vectors() {
    let ran = run(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        |g| {
            PublicKey::Es256(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&hex(g["publicKey"]["uncompressed"]
                    .as_str()
                    .unwrap()))
                .unwrap(),
            )
        },
        "sig",
    );
    assert_eq!(ran, 262);
}

#[test]
fn ecdsa_p384_p1363_vectors() {
    let ran = run(
        "ecdsa_secp384r1_sha384_p1363_test.json",
        |g| {
            PublicKey::Es384(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(&hex(g["publicKey"]["uncompressed"]
                    .as_str()
                    .unwrap()))
                .unwrap(),
            )
        },
        "sig",
    );
    assert_eq!(ran, 280);
}

/// An RSA key from a group's `publicKey` (hex `modulus` and `publicExponent`) for `alg`.
fn rsa_key(group: &Value, alg: Algorithm) -> PublicKey {
    let key = RsaPublicKey::new(
        &hex(group["publicKey"]["modulus"].as_str().unwrap()),
        &hex(group["publicKey"]["publicExponent"].as_str().unwrap()),
    )
    .unwrap();
    PublicKey::Rsa(RsaVerifyingKey::new(key, alg).unwrap())
}

#[test]
fn rsa_pkcs1_vectors() {
    // The 5 `acceptable` cases ("MissingNull": a DigestInfo without the NULL parameters) are
    // refused: RFC 8017 §9.2 encodes the NULL, and RS256 verifiers that accept the short form
    // gain nothing but a second valid encoding.
    let files = [
        ("rsa_signature_2048_sha256_test.json", Algorithm::RS256, 259),
        ("rsa_signature_3072_sha256_test.json", Algorithm::RS256, 0),
        ("rsa_signature_4096_sha256_test.json", Algorithm::RS256, 0),
        ("rsa_signature_2048_sha384_test.json", Algorithm::RS384, 0),
        ("rsa_signature_2048_sha512_test.json", Algorithm::RS512, 0),
    ];
    let mut total = 0;
    for (file, alg, count) in files {
        let ran = run(file, |g| rsa_key(g, alg), "sig");
        if count > 0 {
            assert_eq!(ran, count, "{file}");
        }
        total += ran;
    }
    assert_eq!(total, 1293);
}

#[test]
fn rsa_pss_vectors() {
    let files = [
        ("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::PS256),
        ("rsa_pss_2048_sha384_mgf1_48_test.json", Algorithm::PS384),
        ("rsa_pss_4096_sha512_mgf1_64_test.json", Algorithm::PS512),
    ];
    let total: usize = files
        .into_iter()
        .map(|(file, alg)| run(file, |g| rsa_key(g, alg), "sig"))
        .sum();
    assert_eq!(total, 428);
}

#[test]
fn hmac_sha256_vectors() {
    // Keys differ per test here, and a JWS HS256 tag is always the full 256 bits: truncated
    // tags (tagSize 128) must be refused even where Wycheproof calls them valid MACs.
    let doc = vectors("hmac_sha256_test.json");
    let mut ran = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let full_tag = group["tagSize"] == 256;
        for test in group["tests"].as_array().unwrap() {
            // Keys under 32 bytes are refused outright (RFC 7518 §3.2).
            let key = HmacSecret::new(hex(test["key"].as_str().unwrap())).ok();
            let long_key = key.is_some();
            let accepted = key.map(PublicKey::Hs256).is_some_and(|key| {
                key.verifies(
                    &hex(test["msg"].as_str().unwrap()),
                    &hex(test["tag"].as_str().unwrap()),
                )
            });
            let expected = full_tag && long_key && test["result"] == "valid";
            assert_eq!(accepted, expected, "hmac tcId {}", test["tcId"]);
            ran += 1;
        }
    }
    assert_eq!(ran, 174);
}

/// Cases whose Wycheproof result this verifier deliberately differs from: (tcId, accepted).
const JWS_DEVIATIONS: &[(u64, bool)] = &[
    // Byte-identical to tcId 357 (valid): the padding was lost in Wycheproof's v1 conversion.
    (367, true),
    (370, true),
    // A `?` inside base64url: RFC 7515 §2 forbids it, and edge-jwt is strict about base64url.
    (372, false),
    (373, false),
    // RFC 7520 Figure 20 (twice): a PS384 token under a key whose `alg` is PS256. The key's `alg`
    // decides (RFC 7517 §4.4), so the token is refused, as jose refuses it.
    (346, false),
    (350, false),
];

/// The public part of a Wycheproof key for a verifier: private members dropped.
fn public_part(jwk: &Value) -> Value {
    let mut jwk = jwk.clone();
    if let Some(map) = jwk.as_object_mut() {
        if map.get("kty").and_then(Value::as_str) != Some("oct") {
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                map.remove(private);
            }
        }
    }
    jwk
}

/// Whether a verifier built from `keyset` (with each key's own algorithm, plus HS256 for
/// secrets) accepts the signature of `jws`.
fn verify_with(keyset: &Value, jws: &str) -> bool {
    let secret = keyset["keys"]
        .as_array()
        .is_some_and(|keys| keys.iter().any(|k| k["kty"] == "oct"));
    let algorithms = secret.then_some(&[Algorithm::HS256][..]);
    let Ok(keys) = VerificationKeys::from_jwks(&keyset.to_string(), algorithms) else {
        return false;
    };
    let options = VerifyOptions {
        typ: None,
        ..VerifyOptions::default()
    };
    let Ok(verifier) = Verifier::new(keys, options) else {
        return false;
    };
    verifier.verify_jws(jws).is_ok()
}

#[test]
fn json_web_signature_vectors() {
    let doc = vectors("json_web_signature_test.json");
    let (mut ran, mut unsupported) = (0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        let jwk = group.get("public").unwrap_or(&group["private"]);
        // P-521 (ES512) is not offered by edge-jwt: its valid cases must be refused.
        let unsupported_key = jwk["kty"] == "EC" && jwk["crv"] == "P-521";
        let keyset = serde_json::json!({ "keys": [public_part(jwk)] });
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"].as_u64().unwrap();
            let accepted = verify_with(&keyset, test["jws"].as_str().unwrap());
            let expected = test["result"] == "valid";
            if unsupported_key && expected {
                assert!(!accepted);
                unsupported += 1;
                continue;
            }
            if let Some((_, by_design)) = JWS_DEVIATIONS.iter().find(|(d, _)| *d == id) {
                assert_eq!(accepted, *by_design, "tcId {id}");
                continue;
            }
            assert_eq!(accepted, expected, "jws tcId {id}: {}", test["comment"]);
            ran += 1;
        }
    }
    assert_eq!((ran, unsupported), (393, 2));
}

#[test]
fn json_web_key_vectors() {
    let doc = vectors("json_web_key_test.json");
    let mut ran = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let keys: Vec<Value> = group["private"]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(public_part)
            .collect();
        let keyset = serde_json::json!({ "keys": keys });
        for test in group["tests"].as_array().unwrap() {
            let accepted = verify_with(&keyset, test["jws"].as_str().unwrap());
            let valid = test["result"] == "valid";
            if group["private"]["keys"][0]["alg"]
                .as_str()
                .is_some_and(|a| a == "HS384" || a == "HS512")
            {
                // Algorithms edge-jwt does not offer: never accepted.
                assert!(!accepted, "tcId {}", test["tcId"]);
                continue;
            }
            assert_eq!(
                accepted, valid,
                "jwk tcId {}: {} ({:?})",
                test["tcId"], test["comment"], group["comment"]
            );
            ran += 1;
        }
    }
    assert!(ran >= 14, "ran {ran}");
}

/// The weak RSA keys of the JWK file are refused when the key set loads, each with its reason,
/// not only at the first token.
#[test]
fn weak_rsa_keys_are_refused_when_the_key_set_loads() {
    let doc = vectors("json_web_key_test.json");
    let reasons = [
        ("jws_rsa_roca_key", "ROCA fingerprint"),
        ("keysize_too_small", "1024 bits is too small"),
        ("exponentOne", "exponent of 1"),
    ];
    for (comment, reason) in reasons {
        let group = doc["testGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["comment"] == comment)
            .unwrap();
        let keys: Vec<Value> = group["private"]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(public_part)
            .collect();
        let err =
            VerificationKeys::from_jwks(&serde_json::json!({ "keys": keys }).to_string(), None)
                .unwrap_err();
        assert_eq!(err.code(), "ERR_JWKS_INVALID");
        assert!(err.to_string().contains(reason), "{comment}: {err}");
    }
}

/// Only what the strict check could accept reaches a host's Ed25519 (WebCrypto): every
/// Wycheproof signature kept from the host is one the core refuses, so the two paths decide
/// alike. The cases kept away are the ones hosts differ on (small-order R, S ≥ L, bad encodings).
#[test]
fn ed25519_what_a_host_never_sees_never_verifies() {
    let doc = vectors("ed25519_test.json");
    let (mut kept_away, mut ran) = (0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        let key = PublicKey::ed25519(&hex(group["publicKey"]["pk"].as_str().unwrap())).unwrap();
        for test in group["tests"].as_array().unwrap() {
            let msg = hex(test["msg"].as_str().unwrap());
            let sig = hex(test["sig"].as_str().unwrap());
            ran += 1;
            if key.fits_signature(&sig) && !key.host_decides_alike(&sig) {
                kept_away += 1;
                assert!(!key.verifies(&msg, &sig), "tcId {}", test["tcId"]);
            }
            if test["result"] == "valid" {
                assert!(
                    key.host_decides_alike(&sig),
                    "tcId {}: a valid signature kept from the host",
                    test["tcId"]
                );
            }
        }
    }
    assert_eq!(ran, 151);
    assert!(kept_away >= 10, "{kept_away} cases kept from the host");
}

/// RFC 8032 §5.1.3: an encoding of y that is not below p (or a negative zero x) does not decode.
#[test]
fn ed25519_keys_with_a_non_canonical_encoding_are_refused() {
    // y = p (2^255 - 19) encodes the point y = 0 non-canonically; y = 1 with x's sign bit set
    // is the identity's negative zero.
    let mut y_is_p = [0xff_u8; 32];
    y_is_p[0] = 0xed;
    y_is_p[31] = 0x7f;
    let mut negative_zero = [0_u8; 32];
    negative_zero[0] = 1;
    negative_zero[31] = 0x80;
    for bytes in [y_is_p, negative_zero] {
        let refused = PublicKey::ed25519(&bytes)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            refused.contains("Ed25519 public key"),
            "{bytes:02x?}: {refused}"
        );
    }
}
