//! An identity provider the issuer signs users in with (`EDGE_JWT_UPSTREAMS`): an OpenID
//! provider by its issuer (its endpoints and keys discovered), or GitHub (OAuth 2.0, the user
//! from its API).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::allow::Allow;
use crate::claims::{CarriedClaims, MAX_SUBJECT_LENGTH};
use crate::error::{Error, Result};

/// GitHub's endpoints (github.com; GitHub Enterprise Server's are set on the upstream).
pub const GITHUB_AUTHORIZATION: &str = "https://github.com/login/oauth/authorize";
pub const GITHUB_TOKEN: &str = "https://github.com/login/oauth/access_token";
pub const GITHUB_USER: &str = "https://api.github.com/user";

/// One identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Its short name: part of every subject it signs in (`<id>|<sub>`) and of its URLs.
    pub id: String,
    /// What the chooser shows (default: the id).
    #[serde(default)]
    pub name: Option<String>,
    /// An OpenID provider's issuer identifier (discovery at its well-known URL).
    #[serde(default)]
    pub issuer: Option<String>,
    /// GitHub (OAuth 2.0, not OpenID): the user from its API.
    #[serde(default)]
    pub github: bool,
    pub client_id: String,
    pub client_secret: String,
    /// The scopes asked of it (default: `openid email profile`; GitHub: `read:user user:email`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// The provider's claims carried into the access tokens (`email`, `name`,
    /// `email_verified`...). Default: none.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Who may sign in (default: anyone the provider signs in).
    #[serde(default)]
    pub allow: Allow,
    /// Sessions follow the provider: its refresh token is kept (sealed) with the session and
    /// refreshed at most once per notice interval; when the provider refuses it (the user left,
    /// their grant was revoked), the session ends. Default: false.
    #[serde(default)]
    pub follow: bool,
    /// Endpoints when not discovered: GitHub Enterprise Server's, or a provider without
    /// discovery.
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// GitHub's user API (default `https://api.github.com/user`).
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

/// How the issuer talks to an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamKind {
    OpenId,
    GitHub,
}

impl Upstream {
    /// Refuses an upstream that cannot be right, saying which and why.
    pub fn validate(&self) -> Result<()> {
        let invalid = |why: &str| {
            Err(Error::InvalidOption(format!(
                "upstream {:?}: {why}",
                self.id
            )))
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 32
            && (self.id.bytes()).all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return invalid("id must be 1 to 32 of a-z, 0-9 and -");
        }
        if self.github == self.issuer.is_some() {
            return invalid("set issuer (an OpenID provider) or github: true, one of them");
        }
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return invalid("client_id and client_secret are required");
        }
        if let Some(name) = CarriedClaims(&self.claims).reserved() {
            return invalid(&format!(
                "claim {name:?} is the issuer's own and cannot be carried"
            ));
        }
        if self
            .scopes
            .as_ref()
            .is_some_and(|s| s.iter().any(|s| s.is_empty() || s.contains(' ')))
        {
            return invalid("scopes must be non-empty scope tokens without spaces");
        }
        self.allow.validate().or_else(|why| invalid(&why))
    }

    pub fn kind(&self) -> UpstreamKind {
        if self.github {
            UpstreamKind::GitHub
        } else {
            UpstreamKind::OpenId
        }
    }

    /// What the chooser shows.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// The `scope` asked of the provider.
    pub fn scope(&self) -> String {
        match (&self.scopes, self.kind()) {
            (Some(scopes), _) => scopes.join(" "),
            (None, UpstreamKind::OpenId) => "openid email profile".to_owned(),
            (None, UpstreamKind::GitHub) => "read:user user:email".to_owned(),
        }
    }

    /// The subject of the user the provider names `sub`: this upstream's id and its `sub`, so
    /// that two providers' users never share one, and never an email (which can change hands).
    pub fn subject(&self, sub: &str) -> Result<String> {
        let subject = format!("{}|{sub}", self.id);
        if sub.is_empty() || subject.len() > MAX_SUBJECT_LENGTH {
            return Err(Error::SignInFailed(format!(
                "the identity provider named no usable user (sub of 1 to {} bytes)",
                MAX_SUBJECT_LENGTH - self.id.len() - 1
            )));
        }
        Ok(subject)
    }

    /// The claims of the user's identity carried into the access tokens: those listed, where
    /// the provider gave them.
    pub fn carried_claims(&self, identity: &Map<String, Value>) -> Map<String, Value> {
        CarriedClaims(&self.claims).from(identity)
    }
}
