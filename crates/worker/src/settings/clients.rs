//! The configured clients (`EDGE_JWT_CLIENTS`): each one's secret, compared in constant time,
//! and its rules (the core's `ClientRules`).

use std::collections::BTreeMap;

use serde::Deserialize;

use edge_jwt_core::authorization::redirect::check_registrable;
use edge_jwt_core::authorization::{ClientKeys, ClientOrigin, FlowClient};
use edge_jwt_core::client::{ClientRules, Permission};
use edge_jwt_core::delegation::ExchangeRules;

use crate::api::auth::basic_credentials;
use crate::api::ApiError;

/// A configured client: its secret (or the public keys it signs assertions with) and its
/// rules (the core's).
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    secret: Option<String>,
    /// Its public keys, when it authenticates with `private_key_jwt` (RFC 7523 §2.2).
    pub keys: Option<ClientKeys>,
    /// Its code-flow tokens are always bound to a DPoP key (RFC 9449 §5.2).
    pub dpop_bound: bool,
    pub rules: ClientRules,
    /// Where the authorization code flow may send its users back (none: it does not use it).
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
}

impl Client {
    /// What the authorization code flow needs to know of it (a confidential client).
    pub fn flow_client(&self, client_id: &str) -> FlowClient {
        FlowClient {
            client_id: client_id.to_owned(),
            client_name: self.client_name.clone(),
            redirect_uris: self.redirect_uris.clone(),
            public: false,
            scopes: self.rules.scopes.clone(),
            origin: ClientOrigin::Configured,
            keys: self.keys.clone(),
            dpop_bound: self.dpop_bound,
        }
    }
}

/// The object form of a client in `EDGE_JWT_CLIENTS`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientObject {
    /// Its secret, unless it authenticates with signed assertions only (`jwks`).
    #[serde(default)]
    secret: Option<String>,
    /// The public keys (a JWKS, or one JWK) it signs its `private_key_jwt` assertions with.
    #[serde(default)]
    jwks: Option<serde_json::Value>,
    /// The scopes it may ask for: in its client-credentials tokens (default: none) and in the
    /// sessions it starts (default: any).
    #[serde(default)]
    scopes: Option<Vec<String>>,
    /// Extra grants (`client_credentials`). Default: none.
    #[serde(default)]
    grant_types: Vec<String>,
    /// Default: none, so that a service configured for its own tokens cannot act for users.
    #[serde(default)]
    permissions: Vec<Permission>,
    /// For the authorization code flow. Default: none.
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    /// Seconds a superseded refresh token of its code-flow sessions still answers the current
    /// pair. Default: `EDGE_JWT_FLOW_REPLAY_WINDOW`.
    #[serde(default)]
    replay_window: Option<u64>,
    /// Its code-flow tokens are always bound to a DPoP key. Default: false.
    #[serde(default)]
    dpop_bound_access_tokens: bool,
    /// What it may exchange (RFC 8693), with the `exchange` permission: `{from, to,
    /// impersonate?}`. Default: nothing.
    #[serde(default)]
    exchange: Option<ExchangeRules>,
}

/// `EDGE_JWT_CLIENTS`: client id to `{"secret", "scopes"?, "grant_types"?, "permissions"?}`,
/// or to the secret alone: a trusted back end, with every permission and any scope.
#[derive(Deserialize)]
#[serde(untagged)]
enum ClientSetting {
    Secret(String),
    Object(Box<ClientObject>),
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

impl Clients {
    /// Parses the JSON object; secrets must be at least 16 characters.
    pub fn parse(json: &str) -> Result<Self, &'static str> {
        let settings: BTreeMap<String, ClientSetting> =
            serde_json::from_str(json).map_err(|_| {
                "must be a JSON object of client ids to secrets or to {secret or jwks, scopes?, \
                 grant_types?, permissions?, redirect_uris?, client_name?, replay_window?, exchange?} \
                 (permissions: sessions, authorizations, subjects, introspect, keys, exchange)"
            })?;
        let clients: BTreeMap<String, Client> = settings
            .into_iter()
            .map(|(id, setting)| -> Result<(String, Client), &'static str> {
                let client = match setting {
                    ClientSetting::Secret(secret) => Client {
                        secret: Some(secret),
                        keys: None,
                        dpop_bound: false,
                        rules: ClientRules::trusted(),
                        redirect_uris: Vec::new(),
                        client_name: None,
                    },
                    ClientSetting::Object(object) => Client {
                        dpop_bound: object.dpop_bound_access_tokens,
                        secret: object.secret,
                        keys: match &object.jwks {
                            Some(jwks) => Some(ClientKeys::given(jwks).map_err(|_| {
                                "a client's jwks must be public keys (EdDSA, ES256, RSA) with a kid"
                            })?),
                            None => None,
                        },
                        rules: ClientRules {
                            scopes: object.scopes,
                            grant_types: object.grant_types,
                            permissions: object.permissions,
                            replay_window: object.replay_window,
                            exchange: object.exchange,
                        },
                        redirect_uris: object.redirect_uris,
                        client_name: object.client_name,
                    },
                };
                Ok((id, client))
            })
            .collect::<Result<_, _>>()?;
        if clients.is_empty() {
            return Err("must name at least one client");
        }
        let weak = |c: &Client| match &c.secret {
            Some(secret) => secret.len() < 16,
            None => c.keys.is_none(),
        };
        if clients
            .iter()
            .any(|(id, client)| id.is_empty() || weak(client))
        {
            return Err(
                "needs non-empty client ids, each with a secret of 16 or more characters or jwks",
            );
        }
        if clients
            .values()
            .flat_map(|c| &c.redirect_uris)
            .any(|uri| check_registrable(uri).is_err())
        {
            return Err(
                "redirect_uris must be https, http on a loopback address, or a private-use \
                        scheme, without a fragment",
            );
        }
        let exchange_unset = |c: &Client| {
            let permitted = c.rules.may(Permission::Exchange);
            permitted != c.rules.exchange.is_some()
                || c.rules
                    .exchange
                    .as_ref()
                    .is_some_and(|e| e.validate().is_err())
        };
        if clients.values().any(exchange_unset) {
            return Err(
                "a client exchanges tokens with the exchange permission and exchange: {from, to, \
                 impersonate?}, both: from the audiences of the tokens it may exchange, to those \
                 it may get, each a non-empty list",
            );
        }
        if clients.values().any(|c| c.rules.validate().is_err()) {
            return Err(
                "grant_types may only name client_credentials, scopes must be non-empty \
                        and contain no spaces, and replay_window is at most 86400 seconds",
            );
        }
        Ok(Clients(clients))
    }

    /// Whether some client may exchange tokens (RFC 8693).
    pub fn any_exchange(&self) -> bool {
        self.0.values().any(|c| c.rules.exchange.is_some())
    }

    /// A client's settings, by id.
    pub fn get(&self, id: &str) -> Option<&Client> {
        self.0.get(id)
    }

    /// The authenticated client id, from an `Authorization: Basic` header.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<String, ApiError> {
        let (id, secret) = basic_credentials(authorization).ok_or_else(ApiError::invalid_client)?;
        if self.verify(&id, &secret) {
            Ok(id)
        } else {
            Err(ApiError::invalid_client())
        }
    }

    /// Whether `secret` is configured client `id`'s, however it was sent.
    pub fn verify(&self, id: &str, secret: &str) -> bool {
        // Compare against a dummy secret for unknown ids so timing does not reveal which ids exist.
        let expected = self.0.get(id).filter(|c| c.secret.is_some());
        let candidate = expected
            .and_then(|c| c.secret.as_deref())
            .unwrap_or("edge-jwt-no-such-client-secret");
        let matches = ct_codecs::verify(candidate.as_bytes(), secret.as_bytes());
        matches && expected.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

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
        let svc = &c.get("svc").unwrap().rules;
        assert_eq!(svc.own_scopes(), ["read", "write"]);
        assert_eq!(svc.grant_types, ["client_credentials"]);
        assert!(svc.permissions.is_empty());
        let web = &c.get("web").unwrap().rules;
        assert!(web.grant_types.is_empty());
        assert_eq!(web.permissions, Permission::ALL);
        let auth = format!("Basic {}", STANDARD.encode("svc:0123456789abcdef-svc"));
        assert_eq!(c.authenticate(Some(&auth)).unwrap(), "svc");
    }

    #[test]
    fn a_client_may_set_its_own_replay_window_of_at_most_a_day() {
        let c = Clients::parse(
            r#"{"cli":{"secret":"0123456789abcdef-cli","replay_window":0},"app":{"secret":"0123456789abcdef-app"}}"#,
        )
        .unwrap();
        assert_eq!(c.get("cli").unwrap().rules.replay_window, Some(0));
        assert_eq!(c.get("app").unwrap().rules.replay_window, None);
        let long = r#"{"cli":{"secret":"0123456789abcdef-cli","replay_window":86401}}"#;
        assert!(Clients::parse(long).unwrap_err().contains("replay_window"));
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
