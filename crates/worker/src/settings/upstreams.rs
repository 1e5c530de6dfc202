//! `EDGE_JWT_UPSTREAMS` (a secret: it holds client secrets): the identity providers the issuer
//! signs users in with when no login app is configured (the core's `Upstream`).

use super::entries::{fetchable, named_twice};
use edge_jwt_core::signin::Upstream;

/// The identity providers, in the chooser's order; none by default.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Upstreams(Vec<Upstream>);

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never a client secret, not even in a debug log.
        f.debug_list()
            .entries(self.0.iter().map(|u| &u.id))
            .finish()
    }
}

impl Upstreams {
    /// Parses the JSON array: each upstream valid, its URLs `https` (or `http` on a loopback
    /// host, for local runs), no id twice.
    pub fn parse(json: &str) -> Result<Self, String> {
        // serde's message is left out: it may quote a value, and a value may be a secret.
        let upstreams: Vec<Upstream> = serde_json::from_str(json).map_err(|_| {
            "must be a JSON array of {id, issuer or github: true, client_id, client_secret, \
             name?, scopes?, claims?, allow?, authorization_endpoint?, token_endpoint?, \
             userinfo_endpoint?}"
                .to_owned()
        })?;
        for upstream in &upstreams {
            upstream.validate().map_err(|e| e.to_string())?;
            let urls = [
                upstream.issuer.as_deref(),
                upstream.authorization_endpoint.as_deref(),
                upstream.token_endpoint.as_deref(),
                upstream.userinfo_endpoint.as_deref(),
            ];
            if let Some(url) = urls.into_iter().flatten().find(|u| !fetchable(u)) {
                return Err(format!(
                    "upstream {:?}: {url} must be https (http only on localhost or 127.0.0.1)",
                    upstream.id
                ));
            }
        }
        // `/signin/callback` and `/signin/consent` are the sign-in's own routes.
        if let Some(taken) =
            (upstreams.iter()).find(|u| ["callback", "consent"].contains(&u.id.as_str()))
        {
            return Err(format!(
                "upstream id {:?} is taken by the sign-in's own routes",
                taken.id
            ));
        }
        if named_twice(upstreams.iter().map(|u| u.id.as_str())) {
            return Err("names an upstream id twice".into());
        }
        Ok(Upstreams(upstreams))
    }

    pub fn get(&self, id: &str) -> Option<&Upstream> {
        self.0.iter().find(|u| u.id == id)
    }

    pub fn all(&self) -> &[Upstream] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_are_checked_and_found_by_id() {
        let two = r#"[{"id": "google", "issuer": "https://accounts.google.com", "client_id": "c",
            "client_secret": "s", "allow": {"hd": ["example.com"]}},
            {"id": "github", "github": true, "client_id": "c", "client_secret": "s"}]"#;
        let upstreams = Upstreams::parse(two).unwrap();
        assert_eq!(
            upstreams.get("github").map(|u| u.display_name()),
            Some("github")
        );
        assert!(!format!("{upstreams:?}").contains("client_secret"));
        for bad in [
            "{}",
            r#"[{"id": "a", "issuer": "http://login.example", "client_id": "c", "client_secret": "s"}]"#,
            r#"[{"id": "a", "github": true, "client_id": "c", "client_secret": "s"},
                {"id": "a", "github": true, "client_id": "c", "client_secret": "s"}]"#,
            r#"[{"id": "a", "github": true, "client_id": "c", "client_secret": "s", "extra": 1}]"#,
            r#"[{"id": "callback", "github": true, "client_id": "c", "client_secret": "s"}]"#,
        ] {
            assert!(Upstreams::parse(bad).is_err(), "{bad}");
        }
    }
}
