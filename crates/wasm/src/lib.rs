//! The verifier for JavaScript: a thin wasm-bindgen adapter over `edge-jwt-core`. Values cross
//! as JSON text or arrays (unpacked into named fields in `js/jobs.mjs`); errors cross as
//! `{code, message, claim?, reason?}` objects, which `js/errors.mjs` turns into `JwtError`. No
//! token rule is written here.

mod options;

// wasm32 here is single-threaded, which is what `TalckWasm` assumes.
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

use std::cell::RefCell;

use edge_jwt_core::actor::{self, check_delegation, DelegationRule};
use edge_jwt_core::dpop::{ProofOptions, SeenProofs};
use edge_jwt_core::resource::{
    challenge, challenge_scheme, request_job, resource_error, resource_status,
    with_resource_metadata, with_scope, RequestJob, ResourceRequest, Scheme,
};
use edge_jwt_core::revocation::{entry_keys, judge};
use edge_jwt_core::verify::{
    check_scopes, decode_unverified, expired, ParsedClaims, SignatureJob, DEFAULT_MAX_TOKEN_LENGTH,
};
use edge_jwt_core::{
    AccessClaims, Algorithm, ClaimReason, Error, ErrorCode, StoreError, VerificationKeys, Verifier,
};
use wasm_bindgen::prelude::*;

/// The error object thrown to JavaScript.
fn js_error(err: &Error) -> JsValue {
    let object = js_sys::Object::new();
    let set = |name: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), &value);
    };
    set("code", JsValue::from_str(err.code()));
    set("message", JsValue::from_str(&err.to_string()));
    if let Some(claim) = err.claim() {
        set("claim", JsValue::from_str(claim));
    }
    if let Some(reason) = err.reason() {
        set("reason", JsValue::from_str(reason));
    }
    object.into()
}

/// A key set and the options every token is held to.
#[wasm_bindgen]
pub struct WasmVerifier {
    inner: Verifier,
    /// The DPoP proofs this verifier has accepted, for replay detection in this isolate.
    seen_proofs: RefCell<SeenProofs>,
}

/// How many DPoP proofs a verifier remembers (each for about a minute).
const SEEN_PROOFS_CAPACITY: usize = 10_000;

#[wasm_bindgen]
impl WasmVerifier {
    /// `jwks`: JWKS or JWK JSON text. `options`: a plain object (see `options::verify_options`).
    #[wasm_bindgen(constructor)]
    pub fn new(jwks: &str, options: JsValue) -> Result<WasmVerifier, JsValue> {
        let options = options::verify_options(&options).map_err(|e| js_error(&e))?;
        let keys = VerificationKeys::from_jwks(jwks, options.algorithms.as_deref())
            .map_err(|e| js_error(&e))?;
        let inner = Verifier::new(keys, options).map_err(|e| js_error(&e))?;
        Ok(WasmVerifier {
            inner,
            seen_proofs: RefCell::new(SeenProofs::new(SEEN_PROOFS_CAPACITY)),
        })
    }

    /// The longest token this verifier reads, in bytes (its `maxTokenLength` option).
    #[wasm_bindgen(getter, js_name = maxTokenLength)]
    pub fn max_token_length(&self) -> u32 {
        u32::try_from(self.inner.options().max_token_length).unwrap_or(u32::MAX)
    }

    /// Verifies `token` (its UTF-8 bytes, see `token_text`) at `now` (seconds); returns the
    /// claims as JSON text.
    pub fn verify(&self, token: &[u8], now: f64) -> Result<String, JsValue> {
        let now = seconds(now)?;
        self.inner
            .verify_to_json(token_text(token)?, now)
            .map(|parsed| parsed.json)
            .map_err(|e| js_error(&e))
    }

    /// The time rules alone (`iat`, `nbf`, `exp`, the maximum age, with this verifier's leeway)
    /// for a token this verifier has verified before: the verified-token cache's check on a hit.
    #[wasm_bindgen(js_name = checkTimes)]
    pub fn check_times(
        &self,
        iat: Option<f64>,
        nbf: Option<f64>,
        exp: Option<f64>,
        now: f64,
    ) -> Result<(), JsValue> {
        let times = edge_jwt_core::verify::Times { iat, nbf, exp };
        edge_jwt_core::verify::check_times(times, self.inner.options(), seconds(now)?)
            .map_err(|e| js_error(&e))
    }

    /// What the host must check for `token` (its UTF-8 bytes), and what every other rule gave
    /// at `now`: `[alg, keys (Uint32Array of key indexes), input, signature, claims, error,
    /// valid]`, with `claims` the claims as JSON text or `error` the error object. Either counts
    /// only once the signature holds with one of `keys`. `valid` is the verdict where it was
    /// decided here: an HMAC, cheaper in wasm than a round trip to the host (the host is never
    /// asked for one). An array, not an object: its property names would each be a string made
    /// across the boundary on every call.
    #[wasm_bindgen(js_name = signatureJob)]
    pub fn signature_job(&self, token: &[u8], now: f64) -> Result<js_sys::Array, JsValue> {
        let now = seconds(now)?;
        let job = self
            .inner
            .signature_job(token_text(token)?, now)
            .map_err(|e| js_error(&e))?;
        let (claims, error) = match &job.outcome {
            Ok(parsed) => (JsValue::from_str(&parsed.json), JsValue::UNDEFINED),
            Err(e) => (JsValue::UNDEFINED, js_error(e)),
        };
        let job_array = signature_array(&job);
        job_array.push(&claims);
        job_array.push(&error);
        if job.algorithm == Algorithm::HS256 {
            job_array.push(&JsValue::from_bool(self.inner.signature_holds(&job)));
        }
        Ok(job_array)
    }

    /// Starts the check of a resource request (RFC 9449 §7): everything but the token's and,
    /// for a bound token, its DPoP proof's signatures, which the host may verify (`token`,
    /// `proof`) before `finishRequest` releases the outcome.
    #[wasm_bindgen(js_name = requestJob)]
    pub fn request_job(
        &self,
        authorization: Option<String>,
        dpop: Option<String>,
        method: &str,
        url: &str,
        now: f64,
    ) -> Result<RequestCheck, JsValue> {
        let request = ResourceRequest {
            authorization: authorization.as_deref(),
            dpop: dpop.as_deref(),
            method,
            url,
            now: seconds(now)?,
        };
        request_job(&self.inner, &request, &ProofOptions::default())
            .map(|job| RequestCheck { job: Some(job) })
            .map_err(|e| js_error(&e))
    }

    /// The request's claims as JSON text, given the host's verdicts on its signatures
    /// (`undefined`: checked here); the proof's `jti` is remembered for replay detection. With
    /// `revocation`, a `RevocationCheck` of its token instead: the caller reads the check's
    /// `keys` from the issuer's KV and hands what they held to `finish`. The reads are the only
    /// part outside the core, which names the keys and judges the values.
    #[wasm_bindgen(js_name = finishRequest)]
    pub fn finish_request(
        &self,
        check: &mut RequestCheck,
        token_valid: Option<bool>,
        proof_valid: Option<bool>,
        revocation: bool,
    ) -> Result<JsValue, JsValue> {
        let claims = self.finished(check, token_valid, proof_valid)?;
        if revocation {
            RevocationCheck::of(claims).map(JsValue::from)
        } else {
            Ok(JsValue::from_str(&claims.json))
        }
    }

    fn finished(
        &self,
        check: &mut RequestCheck,
        token_valid: Option<bool>,
        proof_valid: Option<bool>,
    ) -> Result<ParsedClaims, JsValue> {
        let job = check
            .job
            .take()
            .ok_or_else(|| js_error(&Error::Internal("a request check is finished once".into())))?;
        let mut seen = self.seen_proofs.borrow_mut();
        job.finish(
            &self.inner,
            (token_valid, proof_valid),
            &ProofOptions::default(),
            &mut seen,
        )
        .map(|verified| verified.claims)
        .map_err(|e| js_error(&e))
    }

    /// Where key `index` stands in the JWKS given to the constructor (0 for a single JWK).
    #[wasm_bindgen(js_name = keyPosition)]
    pub fn key_position(&self, index: u32) -> Option<u32> {
        self.inner.key_position(index as usize).map(|p| p as u32)
    }
}

/// A token as the JS hands it over: UTF-8 bytes (`js/input.mjs`, `utf8`), which cross into
/// wasm at a fraction of what wasm-bindgen's own string copying costs for a token's length.
fn token_text(token: &[u8]) -> Result<&str, JsValue> {
    std::str::from_utf8(token).map_err(|_| js_error(&Error::JwsInvalid("the token is not UTF-8")))
}

/// A signature for the host to check: `[alg, keys (Uint32Array of key indexes), input,
/// signature]`.
fn signature_array(job: &SignatureJob) -> js_sys::Array {
    let keys: Vec<u32> = job.keys.iter().map(|&i| i as u32).collect();
    js_sys::Array::of4(
        &JsValue::from_str(job.algorithm.name()),
        &js_sys::Uint32Array::from(keys.as_slice()),
        &js_sys::Uint8Array::from(job.signing_input.as_slice()),
        &js_sys::Uint8Array::from(job.signature.as_slice()),
    )
}

/// A resource request being checked (see `WasmVerifier.requestJob`).
#[wasm_bindgen]
pub struct RequestCheck {
    job: Option<RequestJob>,
}

#[wasm_bindgen]
impl RequestCheck {
    /// The token's signature for the host: `[alg, keys (Uint32Array), input, signature]`.
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> js_sys::Array {
        let Some(job) = &self.job else {
            return js_sys::Array::new();
        };
        signature_array(&job.token)
    }

    /// The bound token's DPoP proof, if there is one to verify: `[alg, x, y, input, signature,
    /// jti, until]` (`x`, `y`: the `jwk` header's coordinates; `jti` and `until`, the last
    /// second the proof passes, for a shared replay store, only when its claims pass).
    #[wasm_bindgen(getter)]
    pub fn proof(&self) -> Option<js_sys::Array> {
        let proof = self.job.as_ref()?.proof()?;
        let member = |name: &str| {
            JsValue::from_str(
                proof
                    .jwk
                    .get(name)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default(),
            )
        };
        let array = js_sys::Array::of5(
            &JsValue::from_str(proof.key.algorithm().name()),
            &member("x"),
            &member("y"),
            &js_sys::Uint8Array::from(proof.signing_input.as_slice()),
            &js_sys::Uint8Array::from(proof.signature.as_slice()),
        );
        if let Ok(claims) = &proof.outcome {
            array.push(&JsValue::from_str(&claims.jti));
            let until = claims.iat + ProofOptions::default().max_age;
            array.push(&JsValue::from_f64(until as f64));
        }
        Some(array)
    }
}

/// A verified token whose revocation entries are being read.
#[wasm_bindgen]
pub struct RevocationCheck {
    access: AccessClaims,
    json: String,
}

impl RevocationCheck {
    fn of(mut parsed: ParsedClaims) -> Result<Self, JsValue> {
        let claims = parsed.take_claims();
        let access = AccessClaims::from_claims(claims, parsed.kid).map_err(|e| js_error(&e))?;
        Ok(RevocationCheck {
            access,
            json: parsed.json,
        })
    }

    fn ids(&self) -> edge_jwt_core::revocation::TokenIds<'_> {
        self.access.ids()
    }
}

#[wasm_bindgen]
impl RevocationCheck {
    /// The KV keys to read, in the order `finish` takes what they held.
    #[wasm_bindgen(getter)]
    pub fn keys(&self) -> js_sys::Array {
        entry_keys(self.ids())
            .iter()
            .map(|key| JsValue::from_str(key))
            .collect()
    }

    /// `values[i]`: what key `i` held (a string, or `null` when absent), or `{ failed:
    /// message }` when it could not be read. The claims as JSON text, or the error: revoked, or
    /// `ERR_STORE_UNAVAILABLE` (fail closed).
    pub fn finish(&self, values: js_sys::Array) -> Result<String, JsValue> {
        let read = |i: u32| -> Result<Option<String>, StoreError> {
            let value = values.get(i);
            if value.is_null() || value.is_undefined() {
                return Ok(None);
            }
            if let Some(text) = value.as_string() {
                return Ok(Some(text));
            }
            let failed = js_sys::Reflect::get(&value, &JsValue::from_str("failed"))
                .ok()
                .and_then(|why| why.as_string());
            Err(StoreError(match failed {
                Some(why) => format!("KV get failed: {why}"),
                None => "KV get returned a non-string".into(),
            }))
        };
        // One value per key of `keys`, in order; one missing fails closed in `judge`.
        judge(self.ids(), (0..values.length()).map(read)).map_err(|e| js_error(&e))?;
        Ok(self.json.clone())
    }
}

fn seconds(now: f64) -> Result<u64, JsValue> {
    if now.is_finite() && now >= 0.0 && now.fract() == 0.0 {
        Ok(now as u64)
    } else {
        Err(js_error(&Error::InvalidOption(
            "now must be a whole, non-negative number of seconds".into(),
        )))
    }
}

/// How a resource server refuses a request (RFC 6750 §3, RFC 9449 §7.1), as the issuer's own
/// resource does: `[error, challenge]` for a failure with `code` (a `JwtError`'s) of a token
/// presented with `scheme` (`Bearer` or `DPoP`), with `realm` and `description` in the
/// `WWW-Authenticate` challenge, and `resource_metadata` when given (RFC 9728 §5.1). Without a
/// code (no token at all), `invalid_request` and the bare challenge (RFC 6750 §3.1).
#[wasm_bindgen(js_name = resourceRefusal)]
pub fn resource_refusal(
    code: Option<String>,
    scheme: &str,
    realm: Option<String>,
    description: Option<String>,
    resource_metadata: Option<String>,
    scope: Option<String>,
) -> js_sys::Array {
    let presented = if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        Scheme::Bearer
    };
    let realm = realm.as_deref();
    let (error, header, status) = match code {
        None => (
            "invalid_request",
            challenge(presented, realm, None, None),
            401,
        ),
        Some(code) => {
            let code = ErrorCode::parse(&code);
            let error = code.map_or("invalid_token", resource_error);
            let scheme = code.map_or(presented, |c| challenge_scheme(c, presented));
            let header = challenge(scheme, realm, Some(error), description.as_deref());
            (error, header, code.map_or(401, resource_status))
        }
    };
    let header = match scope.filter(|s| !s.is_empty()) {
        Some(scope) => with_scope(header, &scope),
        None => header,
    };
    let header = match resource_metadata {
        Some(url) => with_resource_metadata(header, &url),
        None => header,
    };
    js_sys::Array::of3(
        &JsValue::from_str(error),
        &JsValue::from_str(&header),
        &JsValue::from(status),
    )
}

/// Whether a token's `scope` carries each of `required` (exact strings): throws
/// `ERR_INSUFFICIENT_SCOPE`, naming what it lacks, when it does not. The check a Verifier's
/// `requiredScopes` makes, for a route that needs more than the rest.
#[wasm_bindgen(js_name = checkScopes)]
pub fn check_scopes_js(scope: Option<String>, required: Vec<String>) -> Result<(), JsValue> {
    check_scopes(scope.as_deref(), &required).map_err(|e| js_error(&e))
}

/// How many actors the delegation chain of a token whose `act` claim is `act` (its JSON text;
/// none: not delegated) names, once the core has found it well-formed (RFC 8693 §4.1) and
/// passing the rule given, if one is: `refused`, or delegated by one of `actors` (any, when
/// empty). The JavaScript side reads the actors from the claims it already has.
#[wasm_bindgen(js_name = checkDelegation)]
pub fn check_delegation_js(
    act: Option<String>,
    refused: bool,
    actors: Option<Vec<String>>,
) -> Result<u32, JsValue> {
    // An `act` is an object (the core's parser, as for payloads); anything else is invalid.
    let act = match act {
        Some(act) => Some(serde_json::Value::Object(
            edge_jwt_core::jose::json::parse_object(act.as_bytes())
                .ok_or_else(|| js_error(&Error::invalid_claim("act", ClaimReason::Invalid)))?,
        )),
        None => None,
    };
    let rule = match (refused, actors) {
        (true, _) => Some(DelegationRule::Refused),
        (false, Some(actors)) => Some(DelegationRule::Required { actors }),
        (false, None) => None,
    };
    if let Some(rule) = rule {
        check_delegation(act.as_ref(), &rule).map_err(|e| js_error(&e))?;
    }
    let chain = actor::actors(act.as_ref()).map_err(|e| js_error(&e))?;
    Ok(chain.len() as u32)
}

/// The longest token read by default, in bytes (the core's default).
#[wasm_bindgen(js_name = defaultMaxTokenLength)]
pub fn default_max_token_length() -> u32 {
    u32::try_from(edge_jwt_core::VerifyOptions::default().max_token_length).unwrap_or(u32::MAX)
}

/// The claims of `token` as JSON text, unverified.
#[wasm_bindgen]
pub fn decode(token: &str) -> Result<String, JsValue> {
    decode_unverified(token, DEFAULT_MAX_TOKEN_LENGTH)
        .map(|parsed| parsed.json)
        .map_err(|e| js_error(&e))
}

fn exp_of(token: &str) -> Result<f64, JsValue> {
    decode_unverified(token, DEFAULT_MAX_TOKEN_LENGTH)
        .and_then(|parsed| {
            parsed
                .claims()
                .numeric_date("exp")?
                .ok_or(Error::invalid_claim(
                    "exp",
                    edge_jwt_core::ClaimReason::Missing,
                ))
        })
        .map_err(|e| js_error(&e))
}

/// Whether `token` (unverified) has expired at `now` with `leeway`, by the verifier's own rule.
#[wasm_bindgen(js_name = isExpired)]
pub fn is_expired(token: &str, leeway: f64, now: f64) -> Result<bool, JsValue> {
    let leeway = seconds(leeway)?;
    Ok(expired(exp_of(token)?, seconds(now)? as f64, leeway as f64))
}

/// `exp - now` in seconds (zero or less once expired), unverified.
#[wasm_bindgen(js_name = expiresIn)]
pub fn expires_in(token: &str, now: f64) -> Result<f64, JsValue> {
    Ok(exp_of(token)? - seconds(now)? as f64)
}

#[cfg(test)]
mod contract_tests;
