//! Managed signing keys' settings (issue 25): with `EDGE_JWT_KEY_ROTATION` set, the key object
//! owns the signing keys and rotates them; unset, `EDGE_JWT_SIGNING_KEYS` are the keys, exactly
//! as before.

use std::rc::Rc;

use edge_jwt_core::keyring::wrap::WrapKey;
use edge_jwt_core::keyring::RotationPolicy;
use edge_jwt_core::{Algorithm, Policy};

use crate::api::ApiError;

/// How long a key signs, e.g. `30d` (`s`, `m`, `h`, `d`, or seconds).
pub const KEY_ROTATION: &str = "EDGE_JWT_KEY_ROTATION";
/// `EdDSA` (default) or `ES256`.
pub const KEY_ALG: &str = "EDGE_JWT_KEY_ALG";
/// Secret: 32 random bytes, base64url (`edge-jwt keygen --wrap`): keys are kept encrypted under it.
pub const KEY_WRAP: &str = "EDGE_JWT_KEY_WRAP";
/// How long a key is published before it signs (default: [`DEFAULT_PUBLISH_AHEAD`]).
pub const KEY_PUBLISH_AHEAD: &str = "EDGE_JWT_KEY_PUBLISH_AHEAD";

/// The JWKS route's `max-age`.
pub const JWKS_MAX_AGE: u64 = 300;
/// The longest a verifier may hold a JWKS without seeing a new key: the JWKS route's `max-age`,
/// the package's default `cacheMaxAge` (600 s), and the isolate's own copy of the key ring
/// (at most [`RING_MAX_AGE`] old).
pub const DEFAULT_PUBLISH_AHEAD: u64 = JWKS_MAX_AGE + 600 + RING_MAX_AGE;
/// The oldest copy of the key ring an isolate uses, in seconds.
pub const RING_MAX_AGE: u64 = 60;

/// The managed keys' configuration.
#[derive(Debug, Clone)]
pub struct ManagedKeys {
    pub rotation: RotationPolicy,
    pub algorithm: Algorithm,
    pub wrap: Rc<WrapKey>,
}

impl ManagedKeys {
    /// `None` when `EDGE_JWT_KEY_ROTATION` is not set (static keys).
    pub fn load(
        lookup: &impl Fn(&str) -> Option<String>,
        policy: &Policy,
    ) -> Result<Option<Self>, ApiError> {
        let Some(period) = lookup(KEY_ROTATION).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let period = duration(&period).filter(|&p| p > 0).ok_or_else(|| {
            ApiError::misconfigured(KEY_ROTATION, "must be a duration such as 30d, 12h or 3600s")
        })?;
        let publish_ahead = match lookup(KEY_PUBLISH_AHEAD).filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_PUBLISH_AHEAD,
            Some(text) => duration(&text).ok_or_else(|| {
                ApiError::misconfigured(
                    KEY_PUBLISH_AHEAD,
                    "must be a duration such as 20m or 1200s",
                )
            })?,
        };
        let algorithm = match lookup(KEY_ALG).as_deref().map(str::trim) {
            None | Some("" | "EdDSA") => Algorithm::EdDSA,
            Some("ES256") => Algorithm::ES256,
            Some(_) => return Err(ApiError::misconfigured(KEY_ALG, "must be EdDSA or ES256")),
        };
        let wrap = lookup(KEY_WRAP)
            .ok_or_else(|| {
                ApiError::misconfigured(KEY_WRAP, "is not set (edge-jwt keygen --wrap makes one)")
            })
            .and_then(|text| {
                WrapKey::from_base64url(&text).map_err(|_| {
                    ApiError::misconfigured(
                        KEY_WRAP,
                        "must be 32 random bytes, base64url (edge-jwt keygen --wrap)",
                    )
                })
            })?;
        Ok(Some(ManagedKeys {
            rotation: RotationPolicy::new(policy, period, publish_ahead),
            algorithm,
            wrap: Rc::new(wrap),
        }))
    }
}

/// `30d`, `12h`, `15m`, `90s` or a number of seconds.
pub fn duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    number.trim().parse::<u64>().ok()?.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("30d"), Some(30 * 86_400));
        assert_eq!(duration("12h"), Some(43_200));
        assert_eq!(duration("15m"), Some(900));
        assert_eq!(duration(" 90s "), Some(90));
        assert_eq!(duration("3600"), Some(3600));
        for bad in ["", "d", "1w", "-1d", "1.5h", "99999999999999999999d"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn managed_keys_only_when_rotation_is_set_and_then_with_a_good_wrap_secret() {
        let policy = Policy::new("https://i", "https://a");
        let vars = |pairs: Vec<(&'static str, String)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.clone())
            }
        };
        assert!(ManagedKeys::load(&vars(vec![]), &policy).unwrap().is_none());
        let wrap = edge_jwt_core::jose::b64::encode(&[1; 32]);
        let keys = ManagedKeys::load(
            &vars(vec![(KEY_ROTATION, "30d".into()), (KEY_WRAP, wrap.clone())]),
            &policy,
        )
        .unwrap()
        .unwrap();
        assert_eq!(keys.rotation.period, 30 * 86_400);
        assert_eq!(keys.rotation.publish_ahead, DEFAULT_PUBLISH_AHEAD);
        assert_eq!(
            keys.rotation.access_window,
            policy.access_ttl + policy.leeway
        );
        assert_eq!(keys.algorithm, Algorithm::EdDSA);
        for (name, value) in [
            (KEY_WRAP, "short".to_owned()),
            (KEY_ALG, "RS256".into()),
            (KEY_ROTATION, "soon".into()),
        ] {
            let mut pairs = vec![(KEY_ROTATION, "30d".to_owned()), (KEY_WRAP, wrap.clone())];
            pairs.retain(|(n, _)| *n != name);
            pairs.push((name, value));
            let err = ManagedKeys::load(&vars(pairs), &policy).unwrap_err();
            assert!(
                err.error_description.contains(name),
                "{}",
                err.error_description
            );
        }
        let missing =
            ManagedKeys::load(&vars(vec![(KEY_ROTATION, "1d".into())]), &policy).unwrap_err();
        assert!(missing.error_description.contains(KEY_WRAP));
    }
}
