//! The JavaScript options object, checked once when a verifier is built: an unknown option, a
//! negative or fractional leeway, or an unknown algorithm name throws `ERR_INVALID_OPTION`.

use edge_jwt_core::verify::{VerifyOptions, DEFAULT_MAX_TOKEN_LENGTH};
use edge_jwt_core::{Algorithm, Error};
use serde::{Deserialize, Deserializer};
use wasm_bindgen::JsValue;

/// `{ issuer, audience, leeway, typ, algorithms, maxTokenLength, maxAge }`, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifierOptions {
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Option<f64>,
    /// Absent: `at+jwt`. `null`: no check.
    #[serde(default, deserialize_with = "present")]
    typ: Option<Option<String>>,
    algorithms: Option<Vec<String>>,
    max_token_length: Option<f64>,
    max_age: Option<f64>,
    #[serde(skip)]
    parsed_algorithms: Option<Vec<Algorithm>>,
}

/// Tells a present `null` (`Some(None)`) from an absent member (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn whole_seconds(name: &str, value: Option<f64>) -> Result<Option<u64>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => Ok(Some(v as u64)),
        Some(_) => Err(Error::InvalidOption(format!(
            "{name} must be a whole, non-negative number"
        ))),
    }
}

impl VerifierOptions {
    pub fn from_js(value: JsValue) -> Result<Self, Error> {
        let mut options: VerifierOptions = if value.is_undefined() || value.is_null() {
            VerifierOptions::default()
        } else {
            serde_wasm_bindgen::from_value(value)
                .map_err(|e| Error::InvalidOption(e.to_string()))?
        };
        whole_seconds("leeway", options.leeway)?;
        whole_seconds("maxAge", options.max_age)?;
        if whole_seconds("maxTokenLength", options.max_token_length)? == Some(0) {
            return Err(Error::InvalidOption(
                "maxTokenLength must be positive".into(),
            ));
        }
        if let Some(names) = &options.algorithms {
            let parsed = names
                .iter()
                .map(|name| {
                    Algorithm::from_name(name).ok_or_else(|| {
                        Error::InvalidOption(format!("unsupported algorithm {name}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            options.parsed_algorithms = Some(parsed);
        }
        Ok(options)
    }

    /// A shared secret (`oct`) is used only when HS256 is asked for by name.
    pub fn allows_hs256(&self) -> bool {
        self.parsed_algorithms
            .as_ref()
            .is_some_and(|algs| algs.contains(&Algorithm::HS256))
    }

    pub fn into_core(self) -> VerifyOptions {
        let defaults = VerifyOptions::default();
        // The values were checked in `from_js`.
        let seconds = |v: Option<f64>| v.map(|v| v as u64);
        VerifyOptions {
            issuer: self.issuer,
            audience: self.audience,
            leeway: seconds(self.leeway).unwrap_or(defaults.leeway),
            typ: self.typ.unwrap_or(defaults.typ),
            algorithms: self.parsed_algorithms,
            max_age: seconds(self.max_age),
            max_token_length: seconds(self.max_token_length)
                .map(|n| n as usize)
                .unwrap_or(DEFAULT_MAX_TOKEN_LENGTH),
        }
    }
}
