//! The JavaScript options object, checked once when a verifier is built: an unknown option, a
//! value of the wrong type, a negative or fractional leeway, or an unknown algorithm name throws
//! `ERR_INVALID_OPTION`. Read with `Reflect` rather than serde: serde's error messages alone
//! would add float formatting to the wasm (see the README's size table).

use edge_jwt_core::verify::VerifyOptions;
use edge_jwt_core::{Algorithm, Error};
use wasm_bindgen::{JsCast, JsValue};

fn invalid(why: String) -> Error {
    Error::InvalidOption(why)
}

fn string(name: &str, value: &JsValue) -> Result<String, Error> {
    value
        .as_string()
        .ok_or_else(|| invalid(format!("{name} must be a string")))
}

fn whole_seconds(name: &str, value: &JsValue) -> Result<u64, Error> {
    match value.as_f64() {
        Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => Ok(v as u64),
        _ => Err(invalid(format!(
            "{name} must be a whole, non-negative number"
        ))),
    }
}

/// `{ issuer, audience, leeway, typ, algorithms, maxTokenLength, maxAge, requiredClaims,
/// authorizedParties, allowBoundTokens, requiredScopes }`, all optional.
/// `typ` absent means `at+jwt`; `typ: null` skips the check. `undefined` counts as absent.
pub fn verify_options(options: &JsValue) -> Result<VerifyOptions, Error> {
    let mut result = VerifyOptions::default();
    if options.is_undefined() || options.is_null() {
        return Ok(result);
    }
    let object: &js_sys::Object = options
        .dyn_ref()
        .filter(|_| options.is_object() && !js_sys::Array::is_array(options))
        .ok_or_else(|| invalid("options must be an object".into()))?;
    for key in js_sys::Object::keys(object).iter() {
        let name = key.as_string().unwrap_or_default();
        let value = js_sys::Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            continue;
        }
        match name.as_str() {
            "issuer" => result.issuer = Some(string("issuer", &value)?),
            "audience" => result.audience = Some(string("audience", &value)?),
            "leeway" => result.leeway = whole_seconds("leeway", &value)?,
            "maxAge" => result.max_age = Some(whole_seconds("maxAge", &value)?),
            "maxTokenLength" => match whole_seconds("maxTokenLength", &value)? {
                0 => return Err(invalid("maxTokenLength must be positive".into())),
                n => result.max_token_length = n as usize,
            },
            "typ" if value.is_null() => result.typ = None,
            "typ" => result.typ = Some(string("typ", &value)?),
            "algorithms" => {
                let names: &js_sys::Array = value
                    .dyn_ref()
                    .ok_or_else(|| invalid("algorithms must be an array".into()))?;
                let algorithms = names
                    .iter()
                    .map(|name| {
                        let name = string("algorithms[]", &name)?;
                        Algorithm::from_name(&name)
                            .ok_or_else(|| invalid(format!("unsupported algorithm {name}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                result.algorithms = Some(algorithms);
            }
            "requiredClaims" => result.required_claims = required_claims(&value)?,
            "authorizedParties" => {
                let parties = match value.as_string() {
                    Some(one) => vec![one],
                    None => strings("authorizedParties", &value)?,
                };
                if parties.is_empty() {
                    return Err(invalid("authorizedParties must not be empty".into()));
                }
                result.authorized_parties = Some(parties);
            }
            "requiredScopes" => {
                let scopes = strings("requiredScopes", &value)?;
                if scopes.iter().any(|s| s.is_empty() || s.contains(' ')) {
                    return Err(invalid(
                        "requiredScopes must be scope tokens: non-empty, without spaces".into(),
                    ));
                }
                result.required_scopes = scopes;
            }
            "allowBoundTokens" => {
                result.allow_bound_tokens = value
                    .as_bool()
                    .ok_or_else(|| invalid("allowBoundTokens must be a boolean".into()))?
            }
            other => return Err(invalid(format!("unknown option {other}"))),
        }
    }
    Ok(result)
}

fn strings(name: &str, value: &JsValue) -> Result<Vec<String>, Error> {
    let items: &js_sys::Array = value
        .dyn_ref()
        .ok_or_else(|| invalid(format!("{name} must be a string or an array of strings")))?;
    items
        .iter()
        .map(|item| string(&format!("{name}[]"), &item))
        .collect()
}

/// `{ claim: value }`: each value any JSON value, compared exactly, in the object's order.
fn required_claims(value: &JsValue) -> Result<Vec<(String, serde_json::Value)>, Error> {
    let object: &js_sys::Object = value
        .dyn_ref()
        .filter(|_| value.is_object() && !js_sys::Array::is_array(value))
        .ok_or_else(|| {
            invalid("requiredClaims must be an object of claim names to values".into())
        })?;
    js_sys::Object::keys(object)
        .iter()
        .map(|key| {
            let name = key.as_string().unwrap_or_default();
            let item = js_sys::Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED);
            // The core's own JSON reader: no second JSON parser in the wasm.
            js_sys::JSON::stringify(&item)
                .ok()
                .and_then(|text| text.as_string())
                .and_then(|text| edge_jwt_core::jose::json::parse_value(text.as_bytes()))
                .map(|json| (name.clone(), json))
                .ok_or_else(|| invalid(format!("requiredClaims.{name} must be a JSON value")))
        })
        .collect()
}
