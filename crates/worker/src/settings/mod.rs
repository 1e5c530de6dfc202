//! The issuer's configuration: `[vars]` in wrangler.toml and two secrets. Read through a lookup
//! function, so the Worker passes its `Env` and the tests a map.

use edge_jwt_core::authorization::SealKey;
use edge_jwt_core::issuer::OFFLINE_ACCESS;
use edge_jwt_core::keyring::KeyRing;
use edge_jwt_core::{KeySet, Policy, TokenIssuer};

use crate::api::ApiError;
use clients::Clients;
use keys::{ManagedKeys, KEY_ALG, KEY_PUBLISH_AHEAD, KEY_ROTATION, KEY_WRAP};

pub mod clients;
pub mod demo;
pub mod documents;
pub mod entries;
pub mod keys;
pub mod trusted_issuers;
pub mod upstreams;

pub use demo::Demo;
pub use documents::ClientDocuments;
pub use trusted_issuers::TrustedIssuers;
pub use upstreams::Upstreams;

pub const ISSUER: &str = "EDGE_JWT_ISSUER";
pub const AUDIENCE: &str = "EDGE_JWT_AUDIENCE";
pub const ACCESS_TTL: &str = "EDGE_JWT_ACCESS_TTL";
pub const REFRESH_TTL: &str = "EDGE_JWT_REFRESH_TTL";
pub const SESSION_MAX: &str = "EDGE_JWT_SESSION_MAX";
pub const REUSE_GRACE: &str = "EDGE_JWT_REUSE_GRACE";
pub const FLOW_REPLAY_WINDOW: &str = "EDGE_JWT_FLOW_REPLAY_WINDOW";
/// `on`: DPoP proofs at `/token` and `/revoke` carry the issuer's nonce (RFC 9449 §8).
pub const DPOP_NONCE: &str = "EDGE_JWT_DPOP_NONCE";
pub const LEEWAY: &str = "EDGE_JWT_LEEWAY";
pub const MAX_SESSIONS: &str = "EDGE_JWT_MAX_SESSIONS";
pub const CORS_ORIGINS: &str = "EDGE_JWT_CORS_ORIGINS";
pub const DEMO_LOGIN: &str = "EDGE_JWT_DEMO_LOGIN";
/// Where `/authorize` sends the browser to log in: the app's page, given `login_challenge`.
pub const LOGIN_URL: &str = "EDGE_JWT_LOGIN_URL";
/// A JSON array of the resources (absolute URIs) tokens may be asked for (RFC 8707).
pub const RESOURCES: &str = "EDGE_JWT_RESOURCES";
/// `open` turns on `POST /register` (RFC 7591).
pub const REGISTRATION: &str = "EDGE_JWT_REGISTRATION";
/// The scopes a registered or document client may ask for, space-separated (unset: any).
pub const REGISTERED_SCOPES: &str = "EDGE_JWT_REGISTERED_SCOPES";
/// The scopes the issuer grants, space-separated (unset: any): published as
/// `scopes_supported`, with `offline_access`, and the bound of every code-flow request.
pub const SCOPES: &str = "EDGE_JWT_SCOPES";
/// `on` accepts client ids that are `https` URLs of client metadata documents; `loopback` also
/// `http://127.0.0.1` ones (local runs and tests only).
pub const CLIENT_METADATA_DOCUMENTS: &str = "EDGE_JWT_CLIENT_METADATA_DOCUMENTS";
/// `true` turns on `POST /test/store-conformance`, for the end-to-end tests only.
pub const STORE_CONFORMANCE: &str = "EDGE_JWT_STORE_CONFORMANCE";
/// A JSON array of the identity providers whose ID-JAG assertions the JWT bearer grant takes.
pub const TRUSTED_ISSUERS: &str = "EDGE_JWT_TRUSTED_ISSUERS";
/// Secret: a JSON array of the identity providers users sign in with (when no login URL is
/// set): each with its client secret.
pub const UPSTREAMS: &str = "EDGE_JWT_UPSTREAMS";
/// Secret: a JWKS of private keys; the first signs.
pub const SIGNING_KEYS: &str = "EDGE_JWT_SIGNING_KEYS";
/// Secret: a JSON object from client id to client secret.
pub const CLIENTS: &str = "EDGE_JWT_CLIENTS";

/// Every setting's name: the Worker reads these and nothing else.
pub const NAMES: [&str; 27] = [
    ISSUER,
    AUDIENCE,
    ACCESS_TTL,
    REFRESH_TTL,
    SESSION_MAX,
    REUSE_GRACE,
    FLOW_REPLAY_WINDOW,
    SCOPES,
    DPOP_NONCE,
    LEEWAY,
    MAX_SESSIONS,
    CORS_ORIGINS,
    DEMO_LOGIN,
    LOGIN_URL,
    RESOURCES,
    REGISTRATION,
    REGISTERED_SCOPES,
    CLIENT_METADATA_DOCUMENTS,
    TRUSTED_ISSUERS,
    UPSTREAMS,
    STORE_CONFORMANCE,
    SIGNING_KEYS,
    CLIENTS,
    KEY_ROTATION,
    KEY_ALG,
    KEY_WRAP,
    KEY_PUBLISH_AHEAD,
];

/// Every setting, parsed and checked.
#[derive(Debug)]
pub struct Settings {
    pub issuer: TokenIssuer,
    /// The key the authorization code flow seals its state under (its challenges and codes),
    /// derived from the deployment's secret: `EDGE_JWT_KEY_WRAP` with managed keys, else
    /// `EDGE_JWT_SIGNING_KEYS`.
    pub seal: SealKey,
    /// `/.well-known/jwks.json`'s body, encoded once: the keys change only with the settings.
    pub public_jwks: String,
    pub clients: Clients,
    pub cors_origins: Vec<String>,
    /// The demo's login and resource, when `EDGE_JWT_DEMO_LOGIN` turns them on.
    pub demo: Option<Demo>,
    /// The app's login page: the authorization code flow is on when it is set.
    pub login_url: Option<String>,
    /// The demo's consent page answers the login challenges (the demo is on, and neither
    /// `EDGE_JWT_LOGIN_URL` nor upstreams are set): only then do the demo's handoff routes exist.
    pub demo_handoff: bool,
    /// The resources (RFC 8707) tokens may be asked for, besides the default audience.
    pub resources: Vec<String>,
    /// Whether `POST /register` is open.
    pub registration_open: bool,
    /// Whether DPoP proofs at `/token` and `/revoke` must carry the issuer's nonce.
    pub dpop_nonce: bool,
    /// What a client the operator did not configure (registered, or a document's) may ask
    /// for; `None`: any scope.
    pub registered_scopes: Option<Vec<String>>,
    /// The scopes the issuer grants in the code flow (`offline_access` among them); `None`:
    /// any, and no `scopes_supported`.
    pub scopes: Option<Vec<String>>,
    /// Which client metadata documents are accepted.
    pub client_documents: ClientDocuments,
    /// The identity providers the JWT bearer grant takes assertions from.
    pub trusted_issuers: TrustedIssuers,
    /// The identity providers users sign in with, when no login app is configured: the issuer
    /// then answers its login challenges itself (`/signin`).
    pub upstreams: Upstreams,
    /// The issuer answers its login challenges itself, through the upstreams (no
    /// `EDGE_JWT_LOGIN_URL`): only then do the `/signin` routes exist.
    pub signs_in: bool,
    /// Whether the store contract may be run against the deployed stores (tests only).
    pub store_conformance: bool,
    /// Managed signing keys (`EDGE_JWT_KEY_ROTATION`), or `None` for the static keys.
    pub managed: Option<ManagedKeys>,
}

impl Settings {
    /// Reads and checks every setting. The error names the setting, never its value.
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        Self::load_with(lookup, None)
    }

    /// [`Settings::load`] with managed keys: `ring` is the key object's ring as read at `now`
    /// (its keys decrypted here, its JWKS the one published then). Static keys come from
    /// `EDGE_JWT_SIGNING_KEYS`.
    pub fn load_with(
        lookup: impl Fn(&str) -> Option<String>,
        ring: Option<(&KeyRing, u64)>,
    ) -> Result<Self, ApiError> {
        let required = |name: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| ApiError::misconfigured(name, "is not set"))
        };
        let policy = load_policy(&lookup)?;
        let managed = ManagedKeys::load(&lookup, &policy)?;
        let seal = match &managed {
            Some(_) => SealKey::derive(required(KEY_WRAP)?.trim().as_bytes()),
            None => SealKey::derive(required(SIGNING_KEYS)?.trim().as_bytes()),
        };
        let (keys, ring_jwks) = match (ring, &managed) {
            (Some((ring, now)), Some(managed)) => {
                let keys = ring.key_set(&managed.wrap).map_err(|_| {
                    ApiError::misconfigured(
                        KEY_WRAP,
                        "is not the secret the stored keys were wrapped with",
                    )
                })?;
                (keys, Some(ring.jwks(&managed.rotation, now).to_string()))
            }
            (None, Some(_)) => {
                return Err(ApiError::misconfigured(
                    KEY_ROTATION,
                    "is set, but the key ring was not read",
                ))
            }
            (_, None) => {
                let keys = KeySet::from_jwks(&required(SIGNING_KEYS)?).map_err(|_| {
                    ApiError::misconfigured(SIGNING_KEYS, "is not a JWKS of private keys with kids")
                })?;
                (keys, None)
            }
        };
        let issuer = TokenIssuer::new(keys, policy)
            .map_err(|e| ApiError::misconfigured("the issuer", &e.to_string()))?;
        let clients = Clients::parse(&required(CLIENTS)?)
            .map_err(|why| ApiError::misconfigured(CLIENTS, why))?;
        let cors_origins = lookup(CORS_ORIGINS)
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        let demo = match lookup(DEMO_LOGIN).is_some_and(|v| v.trim() == "true") {
            true => Some(Demo::new(&issuer)?),
            false => None,
        };
        let store_conformance = lookup(STORE_CONFORMANCE).is_some_and(|v| v.trim() == "true");
        let login_url = lookup(LOGIN_URL)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        if login_url.as_deref().is_some_and(|u| !absolute_url(u)) {
            return Err(ApiError::misconfigured(
                LOGIN_URL,
                "must be an absolute http(s) URL",
            ));
        }
        let upstreams = match lookup(UPSTREAMS).filter(|v| !v.trim().is_empty()) {
            None => Upstreams::default(),
            Some(text) => {
                Upstreams::parse(&text).map_err(|why| ApiError::misconfigured(UPSTREAMS, &why))?
            }
        };
        let base = issuer.policy().issuer.trim_end_matches('/').to_owned();
        // The app's login page wins; then the issuer's own sign-in with the upstreams; then,
        // with the demo on, the demo's consent page.
        let signs_in = login_url.is_none() && !upstreams.is_empty();
        let login_url = login_url.or_else(|| signs_in.then(|| format!("{base}/signin")));
        let demo_handoff = demo.is_some() && login_url.is_none();
        let login_url = login_url.or_else(|| {
            demo.as_ref().map(|_| {
                format!(
                    "{}/consent.html",
                    issuer.policy().issuer.trim_end_matches('/')
                )
            })
        });
        let resources: Vec<String> = match lookup(RESOURCES).filter(|v| !v.trim().is_empty()) {
            None => Vec::new(),
            Some(text) => serde_json::from_str(&text)
                .ok()
                .filter(|r: &Vec<String>| r.iter().all(|u| absolute_url(u) && !u.contains('#')))
                .ok_or_else(|| {
                    ApiError::misconfigured(RESOURCES, "must be a JSON array of absolute URIs")
                })?,
        };
        let client_documents = match lookup(CLIENT_METADATA_DOCUMENTS).as_deref().map(str::trim) {
            None | Some("" | "off") => ClientDocuments::Off,
            Some("on") => ClientDocuments::On,
            Some("loopback") => ClientDocuments::Loopback,
            Some(_) => {
                return Err(ApiError::misconfigured(
                    CLIENT_METADATA_DOCUMENTS,
                    "must be on, loopback or off",
                ))
            }
        };
        let registration_open = match lookup(REGISTRATION).as_deref().map(str::trim) {
            None | Some("" | "off") => false,
            Some("open") => true,
            Some(_) => return Err(ApiError::misconfigured(REGISTRATION, "must be open or off")),
        };
        let dpop_nonce = match lookup(DPOP_NONCE).as_deref().map(str::trim) {
            None | Some("" | "off") => false,
            Some("on") => true,
            Some(_) => return Err(ApiError::misconfigured(DPOP_NONCE, "must be on or off")),
        };
        let trusted_issuers = match lookup(TRUSTED_ISSUERS).filter(|v| !v.trim().is_empty()) {
            None => TrustedIssuers::default(),
            Some(text) => TrustedIssuers::parse(&text)
                .map_err(|why| ApiError::misconfigured(TRUSTED_ISSUERS, why))?,
        };
        let registered_scopes = scope_list(&lookup, REGISTERED_SCOPES)?;
        // `offline_access` asks for a refresh token, which the code flow always issues
        // (the MCP authorization revisions: the authorization server may list it).
        let scopes = scope_list(&lookup, SCOPES)?.map(|mut scopes| {
            if !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
                scopes.push(OFFLINE_ACCESS.to_owned());
            }
            scopes
        });
        Ok(Settings {
            seal,
            public_jwks: ring_jwks.unwrap_or_else(|| issuer.keys().public_jwks().to_string()),
            managed,
            issuer,
            clients,
            cors_origins,
            demo,
            login_url,
            demo_handoff,
            resources,
            registration_open,
            dpop_nonce,
            registered_scopes,
            scopes,
            client_documents,
            trusted_issuers,
            upstreams,
            signs_in,
            store_conformance,
        })
    }

    pub fn demo_login(&self) -> bool {
        self.demo.is_some()
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.cors_origins.iter().any(|o| o == origin || o == "*")
    }
}

/// The token lifetimes and names, checked: the part of the settings the key object needs too.
pub fn load_policy(lookup: &impl Fn(&str) -> Option<String>) -> Result<Policy, ApiError> {
    let required = |name: &str| {
        lookup(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ApiError::misconfigured(name, "is not set"))
    };
    let seconds = |name: &str, default: u64| match lookup(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| ApiError::misconfigured(name, "must be a whole number of seconds")),
    };
    let mut policy = Policy::new(required(ISSUER)?, required(AUDIENCE)?);
    policy.access_ttl = seconds(ACCESS_TTL, policy.access_ttl)?;
    policy.refresh_ttl = seconds(REFRESH_TTL, policy.refresh_ttl)?;
    policy.session_max = seconds(SESSION_MAX, policy.session_max)?;
    policy.reuse_grace = seconds(REUSE_GRACE, policy.reuse_grace)?;
    policy.flow_replay_window = seconds(FLOW_REPLAY_WINDOW, policy.flow_replay_window)?;
    policy.leeway = seconds(LEEWAY, policy.leeway)?;
    policy.max_sessions = match lookup(MAX_SESSIONS) {
        None => policy.max_sessions,
        Some(v) => v.trim().parse().map_err(|_| {
            ApiError::misconfigured(MAX_SESSIONS, "must be a whole number of sessions")
        })?,
    };
    policy
        .validate()
        .map_err(|e| ApiError::misconfigured("the token lifetimes", &e.to_string()))?;
    Ok(policy)
}

/// A setting of space-separated scope tokens; `None` when unset or blank.
fn scope_list(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let scopes = lookup(name)
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
    if scopes.iter().flatten().any(|s| s.contains(['"', '\\'])) {
        return Err(ApiError::misconfigured(
            name,
            "must be space-separated scope tokens",
        ));
    }
    Ok(scopes)
}

fn absolute_url(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://")) && text.len() > 8
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A setting the Worker does not read is a setting silently ignored in production (the
    /// in-memory tests read every name): each `EDGE_JWT_…` constant here and in the modules
    /// beside it is in `NAMES`.
    #[test]
    fn every_setting_declared_is_one_the_worker_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/settings");
        let mut declared = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                let Some(rest) = line.trim().strip_prefix("pub const ") else {
                    continue;
                };
                if let Some((_, value)) = rest.split_once("= \"EDGE_JWT_") {
                    declared.push(format!("EDGE_JWT_{}", value.trim_end_matches("\";")));
                }
            }
        }
        assert!(declared.len() >= NAMES.len(), "{declared:?}");
        for name in &declared {
            assert!(
                NAMES.contains(&name.as_str()),
                "{name} is declared but not in NAMES"
            );
        }
    }
    use edge_jwt_core::keys::SigningKey;
    use edge_jwt_core::Algorithm;
    use std::collections::HashMap;

    pub fn dev_settings() -> HashMap<&'static str, String> {
        let keys = KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).unwrap()]).unwrap();
        HashMap::from([
            (ISSUER, "http://127.0.0.1:8787".to_owned()),
            (AUDIENCE, "http://127.0.0.1:8787/api".to_owned()),
            (SIGNING_KEYS, keys.private_jwks().to_string()),
            (
                CLIENTS,
                r#"{"backend":"0123456789abcdef-secret"}"#.to_owned(),
            ),
            (
                CORS_ORIGINS,
                "http://localhost:3000, https://app.test/".to_owned(),
            ),
        ])
    }

    fn load(map: &HashMap<&'static str, String>) -> Result<Settings, ApiError> {
        Settings::load(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_and_origins_are_normalized() {
        let settings = load(&dev_settings()).unwrap();
        let policy = settings.issuer.policy();
        assert_eq!(
            (policy.access_ttl, policy.refresh_ttl, policy.session_max),
            (300, 1_209_600, 2_592_000)
        );
        assert_eq!((policy.reuse_grace, policy.leeway), (10, 30));
        assert!(settings.allows_origin("https://app.test"));
        assert!(!settings.allows_origin("https://evil.test"));
        assert!(!settings.demo_login());
        assert!(!settings.store_conformance);
    }

    #[test]
    fn a_missing_or_malformed_secret_names_the_setting_and_hides_the_value() {
        for (name, value) in [
            (SIGNING_KEYS, None),
            (
                SIGNING_KEYS,
                Some(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0LXZhbHVlLTEyMw"}]}"#),
            ),
            (CLIENTS, Some("not-json-super-secret-value")),
            (ISSUER, None),
            (ACCESS_TTL, Some("five minutes")),
        ] {
            let mut map = dev_settings();
            match value {
                None => map.remove(name),
                Some(v) => map.insert(name, v.to_owned()),
            };
            let err = load(&map).unwrap_err();
            assert_eq!((err.status, err.error), (503, "temporarily_unavailable"));
            assert!(
                err.error_description.contains(name),
                "{}",
                err.error_description
            );
            assert!(!err.error_description.contains("super-secret"));
            assert!(!err.error_description.contains("c2VjcmV0"));
        }
    }

    #[test]
    fn lifetimes_that_weaken_the_rules_are_refused() {
        let mut map = dev_settings();
        map.insert(ACCESS_TTL, "2000000".into());
        assert_eq!(load(&map).unwrap_err().status, 503);
        let mut map = dev_settings();
        map.insert(LEEWAY, "900".into());
        assert_eq!(load(&map).unwrap_err().status, 503);
    }
}
