//! `EDGE_JWT_TRUSTED_ISSUERS`: the identity providers whose ID-JAG assertions the JWT bearer
//! grant takes (the core's `TrustedIssuer`), each by its issuer identifier.

use edge_jwt_core::delegation::TrustedIssuer;

use super::entries::{fetchable, named_twice};

/// The trusted identity providers; none by default (the grant is then refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedIssuers(Vec<TrustedIssuer>);

impl TrustedIssuers {
    /// Parses the JSON array: each entry valid, its issuer and `jwks_uri` `https` (or `http`
    /// on a loopback host, for local runs), no issuer twice.
    pub fn parse(json: &str) -> Result<Self, &'static str> {
        let trusted: Vec<TrustedIssuer> = serde_json::from_str(json).map_err(|_| {
            "must be a JSON array of {issuer, clients, resources, jwks_uri?, scopes?, \
             subject_claim?, subject_prefix?, claims?}"
        })?;
        if trusted.iter().any(|t| t.validate().is_err()) {
            return Err(
                "each trusted issuer needs issuer, clients and resources, each \
                        non-empty, and claims may not name the issuer's own (sub, sid, act...)",
            );
        }
        let urls_ok = trusted.iter().all(|t| {
            fetchable(&t.issuer)
                && t.jwks_uri.as_deref().is_none_or(fetchable)
                && t.resources.iter().all(|r| fetchable(r) && !r.contains('#'))
        });
        if !urls_ok {
            return Err(
                "issuer, jwks_uri and resources must be https URLs (http only on \
                        localhost or 127.0.0.1)",
            );
        }
        if named_twice(trusted.iter().map(|t| t.issuer.as_str())) {
            return Err("names an issuer twice");
        }
        Ok(TrustedIssuers(trusted))
    }

    /// The trusted issuer named `issuer`, exactly.
    pub fn get(&self, issuer: &str) -> Option<&TrustedIssuer> {
        self.0.iter().find(|t| t.issuer == issuer)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"[{"issuer": "https://idp.example", "clients": ["agent"],
        "resources": ["https://mcp.example/mcp"], "subject_prefix": "idp|", "claims": ["email"]}]"#;

    #[test]
    fn a_trusted_issuer_is_found_by_its_identifier() {
        let trusted = TrustedIssuers::parse(ONE).unwrap();
        let idp = trusted.get("https://idp.example").unwrap();
        assert_eq!(idp.clients, ["agent"]);
        assert!(trusted.get("https://idp.example/").is_none());
    }

    #[test]
    fn a_trust_that_cannot_be_right_is_refused() {
        for bad in [
            "{}",
            r#"[{"issuer": "https://idp.example", "clients": [], "resources": ["https://r"]}]"#,
            r#"[{"issuer": "http://idp.example", "clients": ["a"], "resources": ["https://r.x"]}]"#,
            r#"[{"issuer": "https://i.x", "clients": ["a"], "resources": ["https://r.x"], "claims": ["act"]}]"#,
            r#"[{"issuer": "https://i.x", "clients": ["a"], "resources": ["https://r.x"], "extra": 1}]"#,
        ] {
            assert!(TrustedIssuers::parse(bad).is_err(), "{bad}");
        }
        let twice = format!("[{0},{0}]", &ONE[1..ONE.len() - 1]);
        assert_eq!(TrustedIssuers::parse(&twice), Err("names an issuer twice"));
        let local = r#"[{"issuer": "http://127.0.0.1:9999", "clients": ["a"],
            "resources": ["http://localhost:8787/mcp"]}]"#;
        assert!(TrustedIssuers::parse(local).is_ok());
    }
}
