//! `GET /authorize` (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1): a request checked against its client,
//! and the errors that must never redirect (an unknown client, a redirect URI it did not
//! register: RFC 6749 §4.1.2.1) kept apart from those that go back to the client.

use serde::{Deserialize, Serialize};

use super::client::{ClientOrigin, FlowClient};
use super::pkce;
use super::redirect;
use crate::dpop::is_thumbprint;
use crate::error::Error;
use crate::issuer::{grant_scope, OFFLINE_ACCESS};

/// A valid authorization request, as kept until the user's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The resource the access tokens are for (RFC 8707): their `aud`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)).
    pub code_challenge: String,
    /// The key the tokens are to be bound to (RFC 9449 §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// Its client gets bound tokens only (`dpop_bound_access_tokens`, RFC 9449 §5.2): the
    /// exchange needs a proof.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound: bool,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeRefusal {
    /// Answered here, never redirected: the client or its redirect URI cannot be trusted.
    Direct(Error),
    /// Sent back to the client's redirect URI with `error`, `error_description` and `state`.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// The longest a parameter may be.
const MAX_PARAMETER: usize = 2048;

impl AuthorizationRequest {
    /// Checks the query's parameters (each at most once) against `client` (looked up by the
    /// caller from `client_id`; `None` when there is no such client) and the resources tokens
    /// may be asked for (`resources`; the default audience is always fine).
    pub fn parse(
        params: &[(String, String)],
        client: Option<&FlowClient>,
        resources: &[String],
        default_audience: &str,
    ) -> Result<AuthorizationRequest, AuthorizeRefusal> {
        let direct = |why: String| AuthorizeRefusal::Direct(Error::InvalidOption(why));
        let all = |name: &str| -> Vec<&str> {
            params
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let one = |name: &str| -> Result<Option<&str>, String> {
            match all(name).as_slice() {
                [] => Ok(None),
                [value] if value.len() <= MAX_PARAMETER => Ok(Some(value)),
                [_] => Err(format!("{name} is over {MAX_PARAMETER} bytes")),
                _ => Err(format!("{name} is repeated")),
            }
        };
        let client_id = one("client_id")
            .map_err(direct)?
            .ok_or_else(|| direct("client_id is required".into()))?;
        let client = client
            .filter(|c| c.client_id == client_id)
            .ok_or_else(|| direct(format!("unknown client_id {client_id:?}")))?;
        let redirect_uri = one("redirect_uri")
            .map_err(direct)?
            .ok_or_else(|| direct("redirect_uri is required".into()))?;
        if !redirect::matches(&client.redirect_uris, redirect_uri) {
            return Err(direct(format!(
                "redirect_uri {redirect_uri:?} is not one this client registered"
            )));
        }
        // From here on the client and its redirect URI are known: errors go back to a
        // configured client. Any other client's redirect URI is its own choice, and sending a
        // browser there before the user has been shown anything would make the issuer an open
        // redirect: it gets an error page instead.
        let state = one("state").ok().flatten().map(str::to_owned);
        let redirects = client.origin == ClientOrigin::Configured;
        let back = |error: &'static str, err: Error| match redirects {
            true => AuthorizeRefusal::Redirect {
                redirect_uri: redirect_uri.to_owned(),
                state: state.clone(),
                error,
                description: err.to_string(),
            },
            false => AuthorizeRefusal::Direct(err),
        };
        let invalid = |why: String| back("invalid_request", Error::InvalidOption(why));
        for (name, _) in params {
            one(name).map_err(invalid)?;
        }
        match one("response_type").map_err(invalid)? {
            Some("code") => {}
            None => return Err(invalid("response_type is required and must be code".into())),
            Some(_) => {
                return Err(back(
                    "unsupported_response_type",
                    Error::UnsupportedResponseType,
                ))
            }
        }
        let code_challenge = pkce::check_challenge(
            one("code_challenge_method").map_err(invalid)?,
            one("code_challenge").map_err(invalid)?,
        )
        .map_err(|e| invalid(e.to_string()))?;
        let scope = match (one("scope").map_err(invalid)?, &client.scopes) {
            (Some(scope), Some(allowed)) => {
                let mut allowed = allowed.clone();
                allowed.push(OFFLINE_ACCESS.to_owned());
                grant_scope(Some(scope), &allowed).map_err(|e| back("invalid_scope", e))?
            }
            (scope, _) => scope.filter(|s| !s.trim().is_empty()).map(str::to_owned),
        };
        let resource = one("resource").map_err(invalid)?.map(str::to_owned);
        if let Some(resource) = &resource {
            check_resource(resource, resources, default_audience)
                .map_err(|e| back("invalid_target", e))?;
        }
        let dpop_jkt = one("dpop_jkt").map_err(invalid)?.map(str::to_owned);
        if dpop_jkt.as_deref().is_some_and(|jkt| !is_thumbprint(jkt)) {
            return Err(invalid("dpop_jkt must be a JWK SHA-256 thumbprint".into()));
        }
        Ok(AuthorizationRequest {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state,
            scope,
            resource,
            code_challenge,
            dpop_jkt,
            dpop_bound: client.dpop_bound,
        })
    }
}

/// A `resource` (RFC 8707) tokens may be asked for: the default audience or one of `resources`
/// (`invalid_target` otherwise), at `/authorize` and for the client credentials grant alike.
pub fn check_resource(
    resource: &str,
    resources: &[String],
    default_audience: &str,
) -> Result<(), Error> {
    if resource == default_audience || resources.iter().any(|r| r == resource) {
        Ok(())
    } else {
        Err(Error::InvalidTarget(format!(
            "{resource:?} is not a resource of this issuer"
        )))
    }
}

/// `uri` with `params` added to its query (RFC 6749 §4.1.2), each percent-encoded.
pub fn redirect_with(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut out = uri.to_owned();
    let mut separator = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        if let Some(value) = value {
            out.push(separator);
            out.push_str(name);
            out.push('=');
            out.push_str(&percent_encode(value));
            separator = '&';
        }
    }
    out
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const API: &str = "https://issuer.test/api";

    fn client() -> FlowClient {
        FlowClient {
            client_id: "cli".into(),
            client_name: Some("CLI".into()),
            redirect_uris: vec!["http://127.0.0.1/cb".into()],
            public: true,
            scopes: Some(vec!["read".into(), "write".into()]),
            origin: ClientOrigin::Configured,
            keys: None,
            dpop_bound: false,
        }
    }

    fn params(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", "cli"),
            ("redirect_uri", "http://127.0.0.1:5555/cb"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "s-1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            all.retain(|(name, _)| name != k);
            if !v.is_empty() {
                all.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        all
    }

    fn parse(extra: &[(&str, &str)]) -> Result<AuthorizationRequest, AuthorizeRefusal> {
        let resources = vec!["https://mcp.example/mcp".to_owned()];
        AuthorizationRequest::parse(&params(extra), Some(&client()), &resources, API)
    }

    fn redirected(extra: &[(&str, &str)]) -> &'static str {
        match parse(extra) {
            Err(AuthorizeRefusal::Redirect { error, state, .. }) => {
                assert_eq!(state.as_deref(), Some("s-1"));
                error
            }
            other => panic!("{extra:?}: {other:?}"),
        }
    }

    #[test]
    fn a_valid_request_is_kept_with_its_resource_and_scope() {
        let request = parse(&[("scope", "read"), ("resource", "https://mcp.example/mcp")]).unwrap();
        assert_eq!(request.redirect_uri, "http://127.0.0.1:5555/cb");
        assert_eq!(request.scope.as_deref(), Some("read"));
        assert_eq!(request.resource.as_deref(), Some("https://mcp.example/mcp"));
        assert!(parse(&[("resource", API)]).is_ok());
    }

    #[test]
    fn an_unknown_client_or_unregistered_redirect_uri_is_never_redirected() {
        for extra in [
            vec![("client_id", "other")],
            vec![("client_id", "")],
            vec![("redirect_uri", "http://127.0.0.1:5555/elsewhere")],
            vec![("redirect_uri", "https://evil.example/cb")],
            vec![("redirect_uri", "")],
        ] {
            assert!(
                matches!(parse(&extra), Err(AuthorizeRefusal::Direct(_))),
                "{extra:?}"
            );
        }
        let mut repeated = params(&[]);
        repeated.push(("redirect_uri".into(), "http://127.0.0.1:5555/cb".into()));
        let refused = AuthorizationRequest::parse(&repeated, Some(&client()), &[], API);
        assert!(matches!(refused, Err(AuthorizeRefusal::Direct(_))));
    }

    #[test]
    fn other_errors_go_back_to_the_client() {
        assert_eq!(
            redirected(&[("code_challenge_method", "plain")]),
            "invalid_request"
        );
        assert_eq!(redirected(&[("code_challenge", "")]), "invalid_request");
        assert_eq!(
            redirected(&[("response_type", "token")]),
            "unsupported_response_type"
        );
        assert_eq!(redirected(&[("scope", "read admin")]), "invalid_scope");
        // `scope=` asks for no scope: never all of the client's.
        let mut empty = params(&[]);
        empty.push(("scope".into(), String::new()));
        let request = AuthorizationRequest::parse(&empty, Some(&client()), &[], API);
        assert!(request.is_ok_and(|r| r.scope.is_none()));
        assert_eq!(
            redirected(&[("resource", "https://other.example")]),
            "invalid_target"
        );
        assert_eq!(redirected(&[("dpop_jkt", "nope")]), "invalid_request");
        let mut repeated = params(&[]);
        repeated.push(("scope".into(), "read".into()));
        repeated.push(("scope".into(), "write".into()));
        let refused = AuthorizationRequest::parse(&repeated, Some(&client()), &[], API);
        assert!(matches!(
            refused,
            Err(AuthorizeRefusal::Redirect {
                error: "invalid_request",
                ..
            })
        ));
    }

    #[test]
    fn a_registered_or_document_clients_errors_are_never_redirected() {
        let resources = vec!["https://mcp.example/mcp".to_owned()];
        for origin in [
            ClientOrigin::Registered,
            ClientOrigin::Document {
                host: "app.example".into(),
            },
        ] {
            let client = FlowClient { origin, ..client() };
            for (extra, code) in [
                (("response_type", "token"), "ERR_UNSUPPORTED_RESPONSE_TYPE"),
                (("code_challenge_method", "plain"), "ERR_INVALID_OPTION"),
                (("scope", "admin"), "ERR_INVALID_SCOPE"),
                (("resource", "https://other.example"), "ERR_INVALID_TARGET"),
            ] {
                let refused =
                    AuthorizationRequest::parse(&params(&[extra]), Some(&client), &resources, API);
                match refused {
                    Err(AuthorizeRefusal::Direct(err)) => assert_eq!(err.code(), code, "{extra:?}"),
                    other => panic!("{extra:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn redirects_carry_percent_encoded_parameters() {
        let uri = redirect_with(
            "https://a.example/cb?x=1",
            &[
                ("code", Some("a b")),
                ("state", None),
                ("iss", Some("https://i.test")),
            ],
        );
        assert_eq!(
            uri,
            "https://a.example/cb?x=1&code=a%20b&iss=https%3A%2F%2Fi.test"
        );
    }
}
