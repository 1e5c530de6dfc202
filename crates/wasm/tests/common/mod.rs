//! The `#[wasm_bindgen_test]` suite, shared by `node.rs` and `browser.rs` (wasm-bindgen-test
//! runs a file either in Node or in a browser, never both: see docs/TOOLCHAIN.md).

use edge_jwt_core::keys::SigningKey;
use edge_jwt_core::{Algorithm, KeySet, Policy, SessionClaims, TokenIssuer};
use edge_jwt_wasm::WasmVerifier;
use serde_json::{json, Map, Value};
use wasm_bindgen::JsValue;

pub const ISS: &str = "https://issuer.test";
pub const AUD: &str = "https://api.test";
pub const T0: u64 = 1_767_225_600;

pub struct Fixture {
    pub issuer: TokenIssuer,
    pub access: String,
    pub refresh: String,
}

pub fn fixture(alg: Algorithm) -> Fixture {
    let keys = KeySet::new(vec![SigningKey::generate(alg).unwrap()]).unwrap();
    let issuer = TokenIssuer::new(keys, Policy::new(ISS, AUD)).unwrap();
    let record = SessionClaims {
        sid: "s1".into(),
        sub: "user-1".into(),
        client_id: "app".into(),
        scope: None,
        claims: Map::new(),
        ends_at: T0 + 86_400,
        jkt: None,
        audience: None,
        confidential: false,
    };
    let access = issuer.sign_access_for_tests(&record, T0);
    let refresh = issuer.sign_refresh_for_tests(&record, T0);
    Fixture {
        issuer,
        access,
        refresh,
    }
}

fn jwks_text(f: &Fixture) -> String {
    let keys = f.issuer.keys();
    match keys.signer().algorithm() {
        // A shared secret is never in the public JWKS: hand the verifier the private one.
        Algorithm::HS256 => keys.private_jwks().to_string(),
        _ => keys.public_jwks().to_string(),
    }
}

pub fn verifier(f: &Fixture, options: Value) -> Result<WasmVerifier, JsValue> {
    let options = js_sys::JSON::parse(&options.to_string()).unwrap();
    WasmVerifier::new(&jwks_text(f), options)
}

fn default_verifier(f: &Fixture) -> WasmVerifier {
    let algorithms = json!([f.issuer.keys().signer().algorithm().name()]);
    verifier(
        f,
        json!({"issuer": ISS, "audience": AUD, "leeway": 30, "algorithms": algorithms}),
    )
    .unwrap()
}

pub fn code_of(error: JsValue) -> String {
    js_sys::Reflect::get(&error, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_else(|| format!("not a coded error: {error:?}"))
}

fn verify(v: &WasmVerifier, token: &str, now: u64) -> Result<Value, String> {
    v.verify(token.as_bytes(), now as f64)
        .map(|json| serde_json::from_str(&json).unwrap())
        .map_err(code_of)
}

pub fn every_algorithm_verifies() {
    for alg in Algorithm::SIGNING {
        let f = fixture(alg);
        let claims = verify(&default_verifier(&f), &f.access, T0).unwrap();
        assert_eq!(claims["sub"], "user-1", "{alg:?}");
    }
}

pub fn error_codes() {
    let f = fixture(Algorithm::EdDSA);
    let v = default_verifier(&f);
    let [h, p, s]: [&str; 3] = f.access.split('.').collect::<Vec<_>>().try_into().unwrap();
    let none_header = edge_jwt_core::jose::b64::encode(br#"{"alg":"none","typ":"at+jwt"}"#);
    let other = fixture(Algorithm::EdDSA);
    let rows: Vec<(String, &str)> = vec![
        (format!("{none_header}.{p}."), "ERR_JOSE_ALG_NOT_ALLOWED"),
        (f.refresh.clone(), "ERR_JWT_CLAIM_VALIDATION_FAILED"),
        (other.access.clone(), "ERR_JWKS_NO_MATCHING_KEY"),
        (format!("{h}.{}.{s}", &p[1..]), "ERR_JWS_INVALID"),
        (
            format!("{h}.e30.{s}"),
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        ),
        (format!("{h}.{p}"), "ERR_JWS_INVALID"),
        ("x".repeat(9000), "ERR_JWS_INVALID"),
    ];
    for (token, expected) in rows {
        assert_eq!(verify(&v, &token, T0).unwrap_err(), expected, "{token:.40}");
    }
    let wrong_iss = verifier(&f, json!({"issuer": "https://evil.test"})).unwrap();
    assert_eq!(
        verify(&wrong_iss, &f.access, T0).unwrap_err(),
        "ERR_JWT_CLAIM_VALIDATION_FAILED"
    );
    let wrong_aud = verifier(&f, json!({"audience": "x"})).unwrap();
    assert_eq!(
        verify(&wrong_aud, &f.access, T0).unwrap_err(),
        "ERR_JWT_CLAIM_VALIDATION_FAILED"
    );
    assert_eq!(
        code_of(verifier(&f, json!({"leeway": -1})).err().unwrap()),
        "ERR_INVALID_OPTION"
    );
    assert_eq!(
        code_of(verifier(&f, json!({"nope": 1})).err().unwrap()),
        "ERR_INVALID_OPTION"
    );
    assert_eq!(
        code_of(WasmVerifier::new("{}", JsValue::UNDEFINED).err().unwrap()),
        "ERR_JWKS_INVALID"
    );
}

pub fn leeway_edges() {
    let f = fixture(Algorithm::EdDSA);
    let v = default_verifier(&f);
    let exp = T0 + 300;
    verify(&v, &f.access, exp + 29).unwrap();
    assert_eq!(
        verify(&v, &f.access, exp + 31).unwrap_err(),
        "ERR_JWT_EXPIRED"
    );
    let strict = verifier(&f, json!({"leeway": 0})).unwrap();
    verify(&strict, &f.access, exp - 1).unwrap();
    assert_eq!(
        verify(&strict, &f.access, exp).unwrap_err(),
        "ERR_JWT_EXPIRED"
    );
}

pub fn helpers() {
    let f = fixture(Algorithm::ES256);
    let claims: Value = serde_json::from_str(&edge_jwt_wasm::decode(&f.access).unwrap()).unwrap();
    assert_eq!(claims["sid"], "s1");
    assert!(!edge_jwt_wasm::is_expired(&f.access, 0.0, T0 as f64).unwrap());
    assert!(edge_jwt_wasm::is_expired(&f.access, 0.0, (T0 + 300) as f64).unwrap());
    assert_eq!(
        edge_jwt_wasm::expires_in(&f.access, (T0 + 100) as f64).unwrap(),
        200.0
    );
}

#[macro_export]
macro_rules! suite {
    () => {
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn every_algorithm_verifies() {
            common::every_algorithm_verifies()
        }
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn error_codes() {
            common::error_codes()
        }
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn leeway_edges() {
            common::leeway_edges()
        }
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn helpers() {
            common::helpers()
        }
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn ed25519_host_and_core_decide_alike() {
            common::ed25519_host_and_core_decide_alike().await
        }
    };
}

/// Wycheproof's Ed25519 vectors through both paths `verifyAsync` may take: the host's WebCrypto
/// (for what the core lets it see, `host_decides_alike`) and the core's strict check. They must
/// decide alike, in Node and in Chromium (the two test files run this suite in each).
pub async fn ed25519_host_and_core_decide_alike() {
    use edge_jwt_core::keys::PublicKey;
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use wasm_bindgen_futures::JsFuture;

    let doc: Value = serde_json::from_str(include_str!(
        "../../../../tests/vectors/wycheproof/ed25519_test.json"
    ))
    .expect("the vector file");
    let subtle = Reflect::get(
        &Reflect::get(&js_sys::global(), &"crypto".into()).unwrap(),
        &"subtle".into(),
    )
    .expect("WebCrypto");
    let call = |method: &str, args: Array| -> JsFuture {
        let function: js_sys::Function = Reflect::get(&subtle, &method.into()).unwrap().into();
        JsFuture::from(js_sys::Promise::from(
            Reflect::apply(&function, &subtle, &args).unwrap(),
        ))
    };
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"Ed25519".into()).unwrap();
    let bytes = |hex: &str| -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    };
    let (mut hosted, mut kept_away) = (0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        let pk = bytes(group["publicKey"]["pk"].as_str().unwrap());
        let key = PublicKey::ed25519(&pk).unwrap();
        let imported = call(
            "importKey",
            Array::of5(
                &"raw".into(),
                &Uint8Array::from(&pk[..]),
                &algorithm,
                &false.into(),
                &Array::of1(&"verify".into()),
            ),
        )
        .await
        .expect("this host has Ed25519 in WebCrypto (Node 22, Chromium 137+)");
        for test in group["tests"].as_array().unwrap() {
            let msg = bytes(test["msg"].as_str().unwrap());
            let sig = bytes(test["sig"].as_str().unwrap());
            let core = key.fits_signature(&sig) && key.verifies(&msg, &sig);
            if !(key.fits_signature(&sig) && key.host_decides_alike(&sig)) {
                kept_away += 1;
                assert!(
                    !core,
                    "tcId {}: kept from the host, but the core accepts it",
                    test["tcId"]
                );
                continue;
            }
            let args = Array::of4(
                &algorithm,
                &imported,
                &Uint8Array::from(&sig[..]),
                &Uint8Array::from(&msg[..]),
            );
            let host = call("verify", args)
                .await
                .map(|v| v.as_bool() == Some(true))
                .unwrap_or(false);
            assert_eq!(host, core, "tcId {}: {}", test["tcId"], test["comment"]);
            hosted += 1;
        }
    }
    assert!(
        hosted >= 100 && kept_away >= 10,
        "{hosted} through the host, {kept_away} kept away"
    );
}
