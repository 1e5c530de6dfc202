//! Trusted clients: HTTP Basic (RFC 6749 §2.3.1), secrets compared in constant time.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;

use edge_jwt_core::issuer::grant_scope;

use super::{form, ApiError};

/// Longest `Authorization` header looked at.
const MAX_AUTHORIZATION: usize = 1024;

/// What a configured client may do besides refreshing its own sessions' tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Start sessions for users it authenticated (`POST /sessions`).
    Sessions,
    /// List and end any subject's sessions, log a subject out everywhere (`/subjects/...`).
    Subjects,
    /// Introspect tokens (`POST /introspect`).
    Introspect,
}

impl Permission {
    /// What a trusted back end (the plain string form of a client) is given.
    pub const ALL: [Permission; 3] = [
        Permission::Sessions,
        Permission::Subjects,
        Permission::Introspect,
    ];

    /// The answer to an authenticated client without this permission: 403
    /// `unauthorized_client`, naming the permission and where to give it.
    pub fn refused(self, client_id: &str) -> ApiError {
        let permission = self.name();
        ApiError::new(
            403,
            "unauthorized_client",
            format!(
                "client {client_id} lacks the \"{permission}\" permission: add it to the \
                 client's permissions in EDGE_JWT_CLIENTS"
            ),
        )
    }

    /// The name in `EDGE_JWT_CLIENTS` and in security events.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Sessions => "sessions",
            Permission::Subjects => "subjects",
            Permission::Introspect => "introspect",
        }
    }
}

/// A configured client: its secret, the scopes it may have, the grants it may use besides
/// refreshing, and what else it may do.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    secret: String,
    /// The scopes it may ask for: in its client-credentials tokens (default: none) and in the
    /// sessions it starts (default: any).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Extra grants (`client_credentials`). Default: none.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Default: none, so that a service configured for its own tokens cannot act for users.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl Client {
    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// The scopes of its client-credentials tokens.
    pub fn own_scopes(&self) -> &[String] {
        self.scopes.as_deref().unwrap_or_default()
    }

    /// The scope a session it starts may carry: the one asked for, within its `scopes` when
    /// it has a list (RFC 6749 §3.3); `invalid_scope` names the first one outside it.
    pub fn session_scope(&self, requested: Option<String>) -> Result<Option<String>, ApiError> {
        match (&self.scopes, requested) {
            (Some(allowed), Some(requested)) => Ok(grant_scope(Some(&requested), allowed)?),
            (_, requested) => Ok(requested),
        }
    }
}

/// `EDGE_JWT_CLIENTS`: client id to `{"secret", "scopes"?, "grant_types"?, "permissions"?}`,
/// or to the secret alone: a trusted back end, with every permission and any scope.
#[derive(Deserialize)]
#[serde(untagged)]
enum ClientSetting {
    Secret(String),
    Full(Client),
}

/// The trusted clients, from the `EDGE_JWT_CLIENTS` secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Clients(BTreeMap<String, Client>);

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, not even in a debug log.
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// The grant a client must be given to use `grant_type=client_credentials`.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

impl Clients {
    /// Parses the JSON object; secrets must be at least 16 characters.
    pub fn parse(json: &str) -> Result<Self, &'static str> {
        let settings: BTreeMap<String, ClientSetting> =
            serde_json::from_str(json).map_err(|_| {
                "must be a JSON object of client ids to secrets or to {secret, scopes?, \
                 grant_types?, permissions?} (permissions: sessions, subjects, introspect)"
            })?;
        let clients: BTreeMap<String, Client> = settings
            .into_iter()
            .map(|(id, setting)| {
                let client = match setting {
                    ClientSetting::Secret(secret) => Client {
                        secret,
                        scopes: None,
                        grant_types: Vec::new(),
                        permissions: Permission::ALL.to_vec(),
                    },
                    ClientSetting::Full(client) => client,
                };
                (id, client)
            })
            .collect();
        if clients.is_empty() {
            return Err("must name at least one client");
        }
        if clients
            .iter()
            .any(|(id, client)| id.is_empty() || client.secret.len() < 16)
        {
            return Err("needs non-empty client ids and secrets of 16 or more characters");
        }
        if clients
            .values()
            .flat_map(|c| &c.grant_types)
            .any(|g| g != CLIENT_CREDENTIALS)
        {
            return Err("grant_types may only name client_credentials");
        }
        if clients
            .values()
            .flat_map(|c| c.own_scopes())
            .any(|s| s.is_empty() || s.contains(' '))
        {
            return Err("scopes must be non-empty and contain no spaces");
        }
        Ok(Clients(clients))
    }

    /// A client's settings, by id.
    pub fn get(&self, id: &str) -> Option<&Client> {
        self.0.get(id)
    }

    /// The authenticated client id, from an `Authorization: Basic` header.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<String, ApiError> {
        let (id, secret) = basic_credentials(authorization).ok_or_else(ApiError::invalid_client)?;
        // Compare against a dummy secret for unknown ids so timing does not reveal which ids exist.
        let expected = self.0.get(&id);
        let candidate = expected
            .map(|c| c.secret.as_str())
            .unwrap_or("edge-jwt-no-such-client-secret");
        let matches = ct_codecs::verify(candidate.as_bytes(), secret.as_bytes());
        if matches && expected.is_some() {
            Ok(id)
        } else {
            Err(ApiError::invalid_client())
        }
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn basic_credentials(authorization: Option<&str>) -> Option<(String, String)> {
    let header = authorization?;
    if header.len() > MAX_AUTHORIZATION {
        return None;
    }
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form::decode(id).ok()?, form::decode(secret).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    fn clients() -> Clients {
        Clients::parse(r#"{"backend":"0123456789abcdef-secret"}"#).unwrap()
    }

    #[test]
    fn a_known_client_with_its_secret_is_authenticated() {
        let id = clients()
            .authenticate(Some(&basic("backend", "0123456789abcdef-secret")))
            .unwrap();
        assert_eq!(id, "backend");
    }

    #[test]
    fn anything_else_is_invalid_client_with_www_authenticate() {
        let c = clients();
        for header in [
            None,
            Some("Bearer abc".to_owned()),
            Some(basic("backend", "wrong")),
            Some(basic("nobody", "0123456789abcdef-secret")),
            Some("Basic !!!".to_owned()),
            Some(format!("Basic {}", "A".repeat(5000))),
        ] {
            let err = c.authenticate(header.as_deref()).unwrap_err();
            assert_eq!((err.status, err.error), (401, "invalid_client"));
            assert!(err.www_authenticate.unwrap().starts_with("Basic"));
        }
    }

    #[test]
    fn clients_may_be_given_scopes_and_the_client_credentials_grant() {
        let c = Clients::parse(
            r#"{"svc":{"secret":"0123456789abcdef-svc","scopes":["read","write"],"grant_types":["client_credentials"]},"web":"0123456789abcdef-web"}"#,
        )
        .unwrap();
        let svc = c.get("svc").unwrap();
        assert_eq!(svc.own_scopes(), ["read", "write"]);
        assert_eq!(svc.grant_types, [CLIENT_CREDENTIALS]);
        assert!(c.get("web").unwrap().grant_types.is_empty());
        let auth = format!("Basic {}", STANDARD.encode("svc:0123456789abcdef-svc"));
        assert_eq!(c.authenticate(Some(&auth)).unwrap(), "svc");
    }

    #[test]
    fn weak_or_malformed_client_settings_are_refused() {
        assert!(Clients::parse("{}").is_err());
        assert!(Clients::parse(r#"{"a":"short"}"#).is_err());
        assert!(Clients::parse("[1]").is_err());
        assert!(Clients::parse(
            r#"{"a":{"secret":"0123456789abcdef","grant_types":["password"]}}"#
        )
        .is_err());
        assert!(Clients::parse(r#"{"a":{"secret":"0123456789abcdef","scopes":["a b"]}}"#).is_err());
        assert!(Clients::parse(r#"{"a":{"secret":"0123456789abcdef","admin":true}}"#).is_err());
        assert!(!format!("{:?}", clients()).contains("secret"));
    }
}
