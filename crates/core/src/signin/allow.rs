//! Who an upstream may sign in: a verified email's domain, Google Workspace's `hd`, or any claim's
//! value (a group, a tenant). Everyone else is refused, with a page that says why.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// An upstream's allow-list; every part that is set must hold. Empty: anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// Domains a **verified** `email` must be at (`email_verified: true`), lower-case.
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// Google Workspace domains (`hd`).
    #[serde(default)]
    pub hd: Vec<String>,
    /// Claims that must have one of these values (a string, or an array holding one of them).
    #[serde(default)]
    pub claims: BTreeMap<String, Vec<String>>,
}

impl Allow {
    pub fn validate(&self) -> Result<(), String> {
        let blank = |list: &[String]| list.iter().any(|v| v.is_empty());
        if blank(&self.email_domains)
            || blank(&self.hd)
            || self.claims.values().any(|v| v.is_empty() || blank(v))
        {
            return Err("allow lists must hold non-empty values".into());
        }
        Ok(())
    }

    /// Whether `identity` (the provider's claims for the user) may sign in; if not, why, in
    /// words for the person refused.
    pub fn check(&self, identity: &Map<String, Value>) -> Result<(), String> {
        if !self.email_domains.is_empty() {
            let verified = identity.get("email_verified") == Some(&Value::Bool(true));
            let email = identity
                .get("email")
                .and_then(Value::as_str)
                .filter(|_| verified);
            let Some(email) = email else {
                return Err("signing in here needs a verified email address, and the identity provider gave none".into());
            };
            let domain = email
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .unwrap_or_default();
            if !self
                .email_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain))
            {
                return Err(format!("accounts at {domain} may not sign in here"));
            }
        }
        if !self.hd.is_empty() {
            let hd = identity
                .get("hd")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !self.hd.iter().any(|d| d.eq_ignore_ascii_case(hd)) {
                return Err(
                    "only accounts of this organization's workspace may sign in here".into(),
                );
            }
        }
        for (name, allowed) in &self.claims {
            let holds = match identity.get(name) {
                Some(Value::String(value)) => allowed.contains(value),
                Some(Value::Array(values)) => values
                    .iter()
                    .any(|v| v.as_str().is_some_and(|v| allowed.iter().any(|a| a == v))),
                _ => false,
            };
            if !holds {
                return Err(format!(
                    "your account's {name} is not one allowed to sign in here"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_empty_allow_list_lets_everyone_in() {
        assert!(Allow::default()
            .check(&identity(json!({"sub": "x"})))
            .is_ok());
    }

    #[test]
    fn an_email_domain_needs_a_verified_email_there() {
        let allow = Allow {
            email_domains: vec!["example.com".into()],
            ..Allow::default()
        };
        assert!(allow
            .check(&identity(
                json!({"email": "a@Example.com", "email_verified": true})
            ))
            .is_ok());
        assert!(allow
            .check(&identity(
                json!({"email": "a@example.com", "email_verified": false})
            ))
            .is_err());
        assert!(allow
            .check(&identity(json!({"email": "a@example.com"})))
            .is_err());
        let other = allow.check(&identity(
            json!({"email": "a@evil.com", "email_verified": true}),
        ));
        assert_eq!(
            other.unwrap_err(),
            "accounts at evil.com may not sign in here"
        );
        assert!(allow
            .check(&identity(
                json!({"email": "a@example.com.evil.com", "email_verified": true})
            ))
            .is_err());
    }

    #[test]
    fn hd_and_claims_must_hold_too() {
        let allow = Allow {
            hd: vec!["example.com".into()],
            claims: BTreeMap::from([("groups".into(), vec!["eng".into()])]),
            ..Allow::default()
        };
        assert!(allow
            .check(&identity(
                json!({"hd": "example.com", "groups": ["ops", "eng"]})
            ))
            .is_ok());
        assert!(allow
            .check(&identity(json!({"hd": "example.com", "groups": "eng"})))
            .is_ok());
        assert!(allow
            .check(&identity(json!({"hd": "example.com", "groups": ["ops"]})))
            .is_err());
        assert!(allow.check(&identity(json!({"groups": ["eng"]}))).is_err());
    }
}
