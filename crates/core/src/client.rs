//! What a configured client may do beyond refreshing its own sessions' tokens: its
//! permissions, the grants it may use and the scopes it may have. The Worker reads them from
//! its configuration; the rules are here.

use serde::Deserialize;

use crate::delegation::{ExchangeRules, TOKEN_EXCHANGE};
use crate::error::{Error, Result};
use crate::issuer::grant_scope;
use crate::policy::MAX_REPLAY_WINDOW;

/// The grant a client must be given to use `grant_type=client_credentials` (RFC 6749 §4.4).
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// An action a client must be permitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Start sessions for users it authenticated.
    Sessions,
    /// List and end any subject's sessions, log a subject out everywhere.
    Subjects,
    /// Introspect tokens.
    Introspect,
    /// List, rotate and revoke the issuer's managed signing keys.
    Keys,
    /// Read and answer pending authorizations (the login app's back end).
    Authorizations,
    /// Exchange access tokens it receives for tokens to other audiences (RFC 8693), within
    /// its `exchange` rules. Never part of [`Permission::ALL`]: delegation is opted into.
    Exchange,
}

impl Permission {
    /// Every permission: what a trusted back end is given.
    pub const ALL: [Permission; 5] = [
        Permission::Sessions,
        Permission::Subjects,
        Permission::Introspect,
        Permission::Keys,
        Permission::Authorizations,
    ];

    /// Its name in the configuration and in security events.
    pub const fn name(self) -> &'static str {
        match self {
            Permission::Sessions => "sessions",
            Permission::Subjects => "subjects",
            Permission::Introspect => "introspect",
            Permission::Keys => "keys",
            Permission::Authorizations => "authorizations",
            Permission::Exchange => "exchange",
        }
    }
}

/// A client's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRules {
    /// The scopes it may have: in its client-credentials tokens (`None`: none) and in the
    /// sessions it starts (`None`: any).
    pub scopes: Option<Vec<String>>,
    /// Grants beyond refreshing (only [`CLIENT_CREDENTIALS`] exists).
    pub grant_types: Vec<String>,
    /// What else it may do.
    pub permissions: Vec<Permission>,
    /// The replay window of its code-flow sessions, when not the policy's
    /// (`Policy::flow_replay_window`); 0: strict.
    pub replay_window: Option<u64>,
    /// What it may exchange, with [`Permission::Exchange`].
    pub exchange: Option<ExchangeRules>,
}

impl ClientRules {
    /// A trusted back end: every permission, any scope in its sessions, no extra grant.
    pub fn trusted() -> Self {
        ClientRules {
            permissions: Permission::ALL.to_vec(),
            ..ClientRules::default()
        }
    }

    /// Refuses rules that cannot be right: an unknown grant, an empty scope or one with a space.
    pub fn validate(&self) -> Result<()> {
        if self.grant_types.iter().any(|g| g != CLIENT_CREDENTIALS) {
            return Err(Error::InvalidOption(
                "grant_types may only name client_credentials".into(),
            ));
        }
        if self
            .own_scopes()
            .iter()
            .any(|s| s.is_empty() || s.contains(' '))
        {
            return Err(Error::InvalidOption(
                "scopes must be non-empty and contain no spaces".into(),
            ));
        }
        match (&self.exchange, self.may(Permission::Exchange)) {
            (Some(rules), true) => rules.validate()?,
            (None, false) => {}
            (None, true) => {
                return Err(Error::InvalidOption(
                    "the exchange permission needs exchange: {from, to}".into(),
                ))
            }
            (Some(_), false) => {
                return Err(Error::InvalidOption(
                    "exchange needs the exchange permission".into(),
                ))
            }
        }
        if self.replay_window.is_some_and(|w| w > MAX_REPLAY_WINDOW) {
            return Err(Error::InvalidOption(format!(
                "replay_window must be at most {MAX_REPLAY_WINDOW} seconds (a day)"
            )));
        }
        Ok(())
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// The scopes of its client-credentials tokens.
    pub fn own_scopes(&self) -> &[String] {
        self.scopes.as_deref().unwrap_or_default()
    }

    /// What it may exchange: `UnauthorizedClient` without the permission.
    pub fn exchange_rules(&self) -> Result<&ExchangeRules> {
        match &self.exchange {
            Some(rules) if self.may(Permission::Exchange) => Ok(rules),
            _ => Err(Error::UnauthorizedClient(TOKEN_EXCHANGE.to_owned())),
        }
    }

    /// The scope of a client-credentials token it asks for (RFC 6749 §4.4): it must have been
    /// given the grant (`unauthorized_client`), and each scope must be its own
    /// (`invalid_scope`); asking for none gets all its scopes.
    pub fn client_credentials_scope(&self, requested: Option<&str>) -> Result<Option<String>> {
        if !self.grant_types.iter().any(|g| g == CLIENT_CREDENTIALS) {
            return Err(Error::UnauthorizedClient(CLIENT_CREDENTIALS.to_owned()));
        }
        grant_scope(requested, self.own_scopes())
    }

    /// The scope a session it starts may carry: the one asked for, within its `scopes` when it
    /// has a list (RFC 6749 §3.3; `invalid_scope` names the first one outside it).
    /// An empty or blank scope is no scope.
    pub fn session_scope(&self, requested: Option<String>) -> Result<Option<String>> {
        match (&self.scopes, requested) {
            (Some(allowed), Some(requested)) => grant_scope(Some(&requested), allowed),
            (_, requested) => Ok(requested.filter(|s| !s.trim().is_empty())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> ClientRules {
        ClientRules {
            scopes: Some(vec!["reports:read".into(), "reports:write".into()]),
            grant_types: vec![CLIENT_CREDENTIALS.into()],
            permissions: Vec::new(),
            replay_window: None,
            exchange: None,
        }
    }

    #[test]
    fn the_client_credentials_grant_needs_the_grant_and_its_own_scopes() {
        let rules = service();
        assert_eq!(
            rules.client_credentials_scope(None).unwrap().as_deref(),
            Some("reports:read reports:write")
        );
        assert_eq!(
            rules
                .client_credentials_scope(Some("reports:read"))
                .unwrap()
                .as_deref(),
            Some("reports:read")
        );
        assert_eq!(
            rules
                .client_credentials_scope(Some("admin"))
                .unwrap_err()
                .error_code(),
            crate::ErrorCode::InvalidScope
        );
        let err = ClientRules::trusted()
            .client_credentials_scope(None)
            .unwrap_err();
        assert_eq!(err, Error::UnauthorizedClient(CLIENT_CREDENTIALS.into()));
    }

    #[test]
    fn a_session_scope_stays_within_a_listed_scope_and_is_free_without_a_list() {
        let rules = service();
        assert!(rules.session_scope(Some("reports:read".into())).is_ok());
        assert!(rules.session_scope(Some("admin".into())).is_err());
        assert_eq!(rules.session_scope(None).unwrap(), None);
        // An empty scope is no scope, with a list or without.
        assert_eq!(rules.session_scope(Some("".into())).unwrap(), None);
        assert_eq!(
            ClientRules::trusted()
                .session_scope(Some(" ".into()))
                .unwrap(),
            None
        );
        let trusted = ClientRules::trusted();
        assert_eq!(
            trusted
                .session_scope(Some("anything".into()))
                .unwrap()
                .as_deref(),
            Some("anything")
        );
        assert!(trusted.may(Permission::Subjects));
        assert!(!rules.may(Permission::Sessions));
    }

    #[test]
    fn unknown_grants_and_bad_scopes_are_refused() {
        let mut rules = service();
        rules.grant_types.push("password".into());
        assert!(rules.validate().is_err());
        let mut rules = service();
        rules.scopes = Some(vec!["a b".into()]);
        assert!(rules.validate().is_err());
        assert!(service().validate().is_ok());
    }
}
