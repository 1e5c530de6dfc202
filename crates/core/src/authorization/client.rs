//! The clients of the authorization code flow: what `/authorize` and `/token` need to know of a
//! client, whether configured (`EDGE_JWT_CLIENTS`) or registered (RFC 7591), and registration's
//! rules.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::assertion::{ASSERTION_ALGORITHMS, PRIVATE_KEY_JWT};
use super::redirect::check_registrable;
use crate::error::{Error, Result};
use crate::jose::b64;
use crate::keys::VerificationKeys;

/// What the flow needs to know of a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowClient {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Sends no credentials (`token_endpoint_auth_method: none`): PKCE alone binds its code.
    pub public: bool,
    /// The scopes it may ask for; `None`: any.
    pub scopes: Option<Vec<String>>,
    pub origin: ClientOrigin,
    /// Its public keys, when it authenticates with signed assertions (`private_key_jwt`).
    pub keys: Option<ClientKeys>,
    /// It gets bound tokens only (`dpop_bound_access_tokens`, RFC 9449 §5.2).
    pub dpop_bound: bool,
}

/// Where a client that authenticates with signed assertions (`private_key_jwt`, RFC 7523
/// §2.2) keeps its public keys: given (a JWKS as JSON text), or at a URL (fetched, cached).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKeys {
    Jwks(String),
    JwksUri(String),
}

impl ClientKeys {
    /// `jwks` given inline (RFC 7591 §2): it must be public keys a client may sign its
    /// assertions with.
    pub fn given(jwks: &Value) -> Result<Self> {
        let text = jwks.to_string();
        VerificationKeys::from_jwks(&text, Some(&ASSERTION_ALGORITHMS)).map_err(|e| {
            Error::InvalidClientMetadata(format!(
                "jwks must be public keys (EdDSA, ES256, RSA) a client signs its assertions \
                 with: {e}"
            ))
        })?;
        Ok(ClientKeys::Jwks(text))
    }
}

impl FlowClient {
    /// The client with its scopes bounded by `bound` (the operator's bound on what a client it
    /// did not configure may ask for): its own within the bound, or the bound itself.
    pub fn bounded_by(mut self, bound: &[String]) -> Self {
        self.scopes = Some(match self.scopes {
            None => bound.to_vec(),
            Some(own) => own.into_iter().filter(|s| bound.contains(s)).collect(),
        });
        self
    }
}

/// Where a client of the flow comes from: the login app is shown it (a client that registered
/// itself as "Acme Web" is not the configured `acme-web`), and only a configured client is
/// sent errors before the user has seen anything (a registered one could name any redirect).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "client_kind", rename_all = "snake_case")]
pub enum ClientOrigin {
    /// Configured by the operator (`EDGE_JWT_CLIENTS`).
    Configured,
    /// Registered itself (RFC 7591).
    #[default]
    Registered,
    /// Described by a client ID metadata document on `client_host`.
    Document {
        #[serde(rename = "client_host")]
        host: String,
    },
}

/// Characters a client's name may not hold: controls, and the invisible and bidirectional
/// formatting characters that make one name look like another (Unicode's bidi controls, zero
/// widths, the byte order mark).
pub fn check_client_name(name: &str) -> Result<()> {
    let deceptive = |c: char| {
        c.is_control()
            || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if name.chars().any(deceptive) {
        return Err(Error::InvalidClientMetadata(
            "client_name may not contain control, invisible or bidirectional formatting characters"
                .into(),
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::InvalidClientMetadata(
            "client_name is over 200 characters".into(),
        ));
    }
    Ok(())
}

/// `token_endpoint_auth_method` values a client may register.
pub const AUTH_NONE: &str = "none";
pub const AUTH_CLIENT_SECRET_BASIC: &str = "client_secret_basic";
pub const AUTH_CLIENT_SECRET_POST: &str = "client_secret_post";

/// A client registered through `POST /register` (RFC 7591), as stored (its secret only as a
/// hash) and answered (without the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_id_issued_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// BASE64URL(SHA-256(secret)) of a confidential client's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_hash: Option<String>,
    /// A `private_key_jwt` client's public keys (RFC 7591 §2: `jwks` or `jwks_uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Its tokens are always bound to a DPoP key (RFC 9449 §5.2).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
}

/// The longest a registration's text fields may be.
const MAX_NAME: usize = 200;
const MAX_REDIRECT_URIS: usize = 10;

impl RegisteredClient {
    /// Validates client metadata (RFC 7591 §2) and makes the client, with a fresh id and, for a
    /// confidential client, a fresh secret (returned once, stored only as its hash). Unknown
    /// members are ignored (§2); a member of the wrong type is `invalid_client_metadata`.
    pub fn register(metadata: &Value, now: u64) -> Result<(RegisteredClient, Option<String>)> {
        let bad = |why: &str| Error::InvalidClientMetadata(why.to_owned());
        let object = metadata
            .as_object()
            .ok_or_else(|| bad("the body must be a JSON object"))?;
        let strings = |name: &str, default: &[&str]| -> Result<Vec<String>> {
            match object.get(name) {
                None => Ok(default.iter().map(|s| (*s).to_owned()).collect()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| bad(&format!("{name} must be an array of strings")))
                    })
                    .collect(),
                Some(_) => Err(bad(&format!("{name} must be an array of strings"))),
            }
        };
        let string = |name: &str| -> Result<Option<String>> {
            match object.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(bad(&format!("{name} must be a string"))),
            }
        };
        let redirect_uris = strings("redirect_uris", &[])?;
        if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(Error::InvalidRedirectUri(format!(
                "redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"
            )));
        }
        for uri in &redirect_uris {
            check_registrable(uri)?;
        }
        let method = string("token_endpoint_auth_method")?
            .unwrap_or_else(|| AUTH_CLIENT_SECRET_BASIC.to_owned());
        if ![
            AUTH_NONE,
            AUTH_CLIENT_SECRET_BASIC,
            AUTH_CLIENT_SECRET_POST,
            PRIVATE_KEY_JWT,
        ]
        .contains(&method.as_str())
        {
            return Err(bad(
                "token_endpoint_auth_method must be none, client_secret_basic, client_secret_post \
                 or private_key_jwt",
            ));
        }
        // A `private_key_jwt` client names its keys one way: given, or at an https URL (whose
        // host the Worker checks as it checks a document's).
        let jwks = object.get("jwks").filter(|v| !v.is_null()).cloned();
        let jwks_uri = string("jwks_uri")?;
        match (method == PRIVATE_KEY_JWT, &jwks, &jwks_uri) {
            (true, Some(jwks), None) => {
                ClientKeys::given(jwks)?;
            }
            (true, None, Some(uri)) if uri.starts_with("https://") => {}
            (true, _, _) => {
                return Err(bad(
                    "a private_key_jwt client registers its public keys: jwks, or an https \
                     jwks_uri, one of the two",
                ))
            }
            (false, None, None) => {}
            (false, _, _) => return Err(bad("jwks and jwks_uri are for private_key_jwt clients")),
        }
        let grant_types = strings("grant_types", &["authorization_code"])?;
        if grant_types.is_empty()
            || grant_types
                .iter()
                .any(|g| g != "authorization_code" && g != "refresh_token")
        {
            return Err(bad(
                "grant_types may only be authorization_code and refresh_token",
            ));
        }
        let response_types = strings("response_types", &["code"])?;
        if response_types.iter().any(|r| r != "code")
            || (grant_types.iter().any(|g| g == "authorization_code") && response_types.is_empty())
        {
            return Err(bad("response_types may only be code"));
        }
        let client_name = string("client_name")?;
        if let Some(name) = &client_name {
            check_client_name(name)?;
        }
        let scope = string("scope")?.filter(|s| !s.trim().is_empty());
        if scope
            .as_deref()
            .is_some_and(|s| s.len() > 1024 || s.contains(['"', '\\']))
        {
            return Err(bad(
                "scope must be space-separated scope tokens, at most 1024 bytes",
            ));
        }
        // A confidential client may then authenticate either way (Basic or in the body).
        let secret = if method != AUTH_NONE && method != PRIVATE_KEY_JWT {
            Some(format!(
                "{}{}",
                crate::random::new_id()?,
                crate::random::new_id()?
            ))
        } else {
            None
        };
        let client = RegisteredClient {
            client_id: crate::random::new_id()?,
            client_id_issued_at: now,
            client_name,
            redirect_uris,
            token_endpoint_auth_method: method,
            grant_types,
            response_types,
            scope,
            client_secret_hash: secret.as_deref().map(secret_hash),
            jwks,
            jwks_uri,
            dpop_bound_access_tokens: dpop_bound_access_tokens(object)?,
        };
        Ok((client, secret))
    }

    /// Whether `secret` is this confidential client's (compared in constant time).
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.client_secret_hash
            .as_deref()
            .is_some_and(|hash| super::pkce::ct_eq(hash.as_bytes(), secret_hash(secret).as_bytes()))
    }

    /// What the flow needs to know of it.
    pub fn flow_client(&self) -> FlowClient {
        FlowClient {
            client_id: self.client_id.clone(),
            client_name: self.client_name.clone(),
            redirect_uris: self.redirect_uris.clone(),
            public: self.token_endpoint_auth_method == AUTH_NONE,
            // What it registered is its own wish, not a bound: MCP clients register with the
            // first scope they are told and step up later (a 403 `insufficient_scope`). The
            // operator's bounds (`EDGE_JWT_SCOPES`, `EDGE_JWT_REGISTERED_SCOPES`) apply.
            scopes: None,
            origin: ClientOrigin::Registered,
            keys: self.keys(),
            dpop_bound: self.dpop_bound_access_tokens,
        }
    }

    /// Its public keys, if it is a `private_key_jwt` client.
    pub fn keys(&self) -> Option<ClientKeys> {
        if self.token_endpoint_auth_method != PRIVATE_KEY_JWT {
            return None;
        }
        match (&self.jwks, &self.jwks_uri) {
            (Some(jwks), _) => Some(ClientKeys::Jwks(jwks.to_string())),
            (None, Some(uri)) => Some(ClientKeys::JwksUri(uri.clone())),
            (None, None) => None,
        }
    }

    /// The registration answer (RFC 7591 §3.2.1): the metadata as stored, the id, and the
    /// secret when there is one (this once), never its hash.
    pub fn answer(&self, secret: Option<&str>) -> Value {
        let mut answer = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = answer.as_object_mut() {
            object.remove("client_secret_hash");
            if let Some(secret) = secret {
                object.insert("client_secret".into(), Value::String(secret.to_owned()));
                object.insert("client_secret_expires_at".into(), Value::from(0));
            }
        }
        answer
    }
}

/// `dpop_bound_access_tokens` of client metadata (RFC 9449 §5.2): a boolean, false if absent.
pub fn dpop_bound_access_tokens(metadata: &serde_json::Map<String, Value>) -> Result<bool> {
    match metadata.get("dpop_bound_access_tokens") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(bound)) => Ok(*bound),
        Some(_) => Err(Error::InvalidClientMetadata(
            "dpop_bound_access_tokens must be a boolean".into(),
        )),
    }
}

/// Where a registered client is kept in a store (the Worker's KV), and for how long: a year
/// after its registration (a client then registers again).
fn client_key(client_id: &str) -> String {
    format!("client:{client_id}")
}
pub const REGISTERED_CLIENT_TTL: u64 = 365 * 86_400;

/// The registered clients, over the store that keeps them (the Worker's KV, beside the
/// revocation list: each under a key of its own).
pub struct RegisteredClients<S>(pub S);

impl<S: crate::store::Store> RegisteredClients<S> {
    /// The registered client `client_id`, if the store has it.
    pub async fn load(&self, client_id: &str) -> Result<Option<RegisteredClient>> {
        if client_id.len() != 22 {
            return Ok(None);
        }
        match self.0.get(&client_key(client_id)).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| Error::StoreUnavailable("corrupt client record".into())),
        }
    }

    /// Keeps `client` for [`REGISTERED_CLIENT_TTL`] after its registration.
    pub async fn save(&self, client: &RegisteredClient) -> Result<()> {
        let text = serde_json::to_string(client)
            .map_err(|e| Error::Internal(format!("cannot encode client: {e}")))?;
        let until = client.client_id_issued_at + REGISTERED_CLIENT_TTL;
        Ok(self
            .0
            .put(&client_key(&client.client_id), &text, until)
            .await?)
    }
}

fn secret_hash(secret: &str) -> String {
    b64::encode(&hmac_sha256::Hash::hash(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_public_client_registers_with_its_redirect_uris() {
        let metadata = json!({
            "redirect_uris": ["http://127.0.0.1:33418/callback", "https://app.example/cb"],
            "client_name": "Inspector", "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "software_id": "ignored",
        });
        let (client, secret) = RegisteredClient::register(&metadata, 5).unwrap();
        assert_eq!(secret, None);
        assert_eq!(client.client_id.len(), 22);
        assert!(client.flow_client().public);
        let answer = client.answer(None);
        assert_eq!(answer["client_name"], "Inspector");
        assert!(answer.get("software_id").is_none() && answer.get("client_secret").is_none());
    }

    #[test]
    fn a_confidential_client_gets_a_secret_once_and_keeps_only_its_hash() {
        let metadata = json!({"redirect_uris": ["https://app.example/cb"]});
        let (client, secret) = RegisteredClient::register(&metadata, 5).unwrap();
        let secret = secret.unwrap();
        assert!(client.secret_matches(&secret));
        assert!(!client.secret_matches("guess"));
        let stored = serde_json::to_string(&client).unwrap();
        assert!(!stored.contains(&secret));
        let answer = client.answer(Some(&secret));
        assert_eq!(answer["client_secret"], secret.as_str());
        assert!(answer.get("client_secret_hash").is_none());
    }

    #[test]
    fn bad_metadata_and_redirect_uris_are_refused() {
        for (metadata, code) in [
            (json!([]), "ERR_INVALID_CLIENT_METADATA"),
            (json!({}), "ERR_INVALID_REDIRECT_URI"),
            (
                json!({"redirect_uris": "https://a.example/cb"}),
                "ERR_INVALID_CLIENT_METADATA",
            ),
            (
                json!({"redirect_uris": ["http://a.example/cb"]}),
                "ERR_INVALID_REDIRECT_URI",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb#x"]}),
                "ERR_INVALID_REDIRECT_URI",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["password"]}),
                "ERR_INVALID_CLIENT_METADATA",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
                "ERR_INVALID_CLIENT_METADATA",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
                "ERR_INVALID_CLIENT_METADATA",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "client_name": 7}),
                "ERR_INVALID_CLIENT_METADATA",
            ),
        ] {
            let err = RegisteredClient::register(&metadata, 5).unwrap_err();
            assert_eq!(err.code(), code, "{metadata}");
        }
    }
}
