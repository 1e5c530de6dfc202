//! The JWT bearer grant (RFC 7523 §2.1) with the Identity Assertion JWT Authorization Grant
//! profile ("ID-JAG", the MCP authorization extensions' enterprise-managed authorization): an
//! enterprise identity provider the operator trusts signs a short-lived assertion that one of
//! its users may reach one resource through one client; the client presents it and gets this
//! issuer's access token for that user. The assertion is checked with the verifier's own rules
//! and the provider's published keys; its `jti` is used once ([`VerifiedGrant`]).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::authorization::assertion::verify_short_lived;
use crate::claims::{CarriedClaims, Claims, MAX_SUBJECT_LENGTH};
use crate::error::{Error, Result};
use crate::issuer::TokenIssuer;
use crate::issuer::{grant_scope, narrow_scope, scope_tokens, ClientToken, SessionClaims};
use crate::verify::VerifyOptions;

/// `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The `typ` an ID-JAG carries: nothing else is taken as one.
pub const ID_JAG_TYP: &str = "oauth-id-jag+jwt";

/// An identity provider whose assertions the issuer takes (`EDGE_JWT_TRUSTED_ISSUERS`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// Its issuer identifier: the assertions' `iss`, and where its metadata is discovered.
    pub issuer: String,
    /// Its key set, when not the one its metadata names.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The clients that may present its assertions.
    pub clients: Vec<String>,
    /// The resources its users may be given tokens for.
    pub resources: Vec<String>,
    /// The scopes its assertions may grant (default: any the assertion names).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// The assertion's claim that names the user (default `sub`).
    #[serde(default)]
    pub subject_claim: Option<String>,
    /// Put before that claim's value to make the token's `sub` (default none), so that two
    /// providers' users never share a subject.
    #[serde(default)]
    pub subject_prefix: Option<String>,
    /// Claims of the assertion carried into the access token (`email`, `name`...).
    #[serde(default)]
    pub claims: Vec<String>,
}

impl TrustedIssuer {
    /// Refuses a trust that cannot be right: no clients or resources, a carried claim the
    /// issuer writes itself.
    pub fn validate(&self) -> Result<()> {
        let invalid = |why: String| Err(Error::InvalidOption(why));
        if self.issuer.is_empty() || self.clients.is_empty() || self.resources.is_empty() {
            return invalid(format!(
                "trusted issuer {:?} needs issuer, clients and resources, each non-empty",
                self.issuer
            ));
        }
        if let Some(name) = CarriedClaims(&self.claims).reserved() {
            return invalid(format!(
                "trusted issuer {:?}: claim {name:?} is the issuer's own and cannot be carried",
                self.issuer
            ));
        }
        Ok(())
    }

    fn subject_claim(&self) -> &str {
        self.subject_claim.as_deref().unwrap_or("sub")
    }
}

/// What the assertion is checked against besides its provider's rules.
#[derive(Debug, Clone, Copy)]
pub struct GrantCheck<'a> {
    /// This issuer's identifier: the assertion's `aud`.
    pub audience: &'a str,
    /// The client that presents it, authenticated: the assertion's `client_id`.
    pub client_id: &'a str,
    /// The resource the request names (RFC 8707), if any.
    pub resource: Option<&'a str>,
    /// The scope the request asks for, if any.
    pub scope: Option<&'a str>,
    pub now: u64,
    pub leeway: u64,
}

/// A verified assertion: the claims of the token it grants, and its `jti`, to be used once,
/// until it is refused as expired anyway.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedGrant {
    pub sub: String,
    pub audience: String,
    pub scope: Option<String>,
    pub claims: Map<String, Value>,
    pub jti: String,
    pub remember_until: u64,
}

/// Checks an ID-JAG from `trust` with its keys (`jwks`, as text). A failure of the assertion
/// is `AssertionGrantInvalid` saying what; a resource or scope it does not grant is
/// `InvalidTarget` or `InvalidScope`.
pub fn verify_identity_assertion(
    assertion: &str,
    jwks: &str,
    trust: &TrustedIssuer,
    check: &GrantCheck<'_>,
) -> Result<VerifiedGrant> {
    let invalid = |why: String| Error::AssertionGrantInvalid(why);
    let options = VerifyOptions {
        issuer: Some(trust.issuer.clone()),
        audience: Some(check.audience.to_owned()),
        leeway: check.leeway,
        typ: Some(ID_JAG_TYP.to_owned()),
        ..VerifyOptions::default()
    };
    let (claims, verified) = verify_short_lived(assertion, jwks, options, check.now)
        .map_err(|why| invalid(format!("{} (from {})", why, trust.issuer)))?;
    let text = |name: &'static str| claims.string(name).ok().flatten();
    if text("client_id") != Some(check.client_id) {
        return Err(invalid(format!(
            "its client_id must be the client presenting it, {:?}",
            check.client_id
        )));
    }
    if !trust.clients.iter().any(|c| c == check.client_id) {
        return Err(invalid(format!(
            "client {:?} may not present assertions of {}",
            check.client_id, trust.issuer
        )));
    }
    if claims.numeric_date("iat")?.is_none() {
        return Err(invalid("it needs an iat".into()));
    }
    let sub = match claims.as_map().get(trust.subject_claim()) {
        Some(Value::String(id)) if !id.is_empty() => {
            format!(
                "{}{id}",
                trust.subject_prefix.as_deref().unwrap_or_default()
            )
        }
        _ => {
            return Err(invalid(format!(
                "it names no user: its {:?} claim must be a non-empty string",
                trust.subject_claim()
            )))
        }
    };
    if sub.len() > MAX_SUBJECT_LENGTH {
        return Err(invalid(format!(
            "the user it names makes a sub over {MAX_SUBJECT_LENGTH} bytes"
        )));
    }
    let audience = granted_resource(&claims, trust, check.resource)?;
    let scope = granted_scope(claims.string("scope")?, trust, check.scope)?;
    let carried = CarriedClaims(&trust.claims).from(claims.as_map());
    Ok(VerifiedGrant {
        sub,
        audience,
        scope,
        claims: carried,
        jti: verified.jti,
        remember_until: verified.remember_until,
    })
}

/// The resource the token is for: the one asked for, or the assertion's only one (or the
/// trust's only one when the assertion names none); within both the assertion's `resource`
/// and the trust's `resources`.
fn granted_resource(claims: &Claims, trust: &TrustedIssuer, asked: Option<&str>) -> Result<String> {
    let asserted: Option<Vec<&str>> = match claims.as_map().get("resource") {
        None => None,
        Some(Value::String(one)) => Some(vec![one]),
        Some(Value::Array(many)) => Some(many.iter().filter_map(Value::as_str).collect()),
        Some(_) => {
            return Err(Error::AssertionGrantInvalid(
                "its resource must be a string or an array of strings".into(),
            ))
        }
    };
    let allowed: Vec<&str> = match &asserted {
        Some(asserted) => asserted.clone(),
        None => trust.resources.iter().map(String::as_str).collect(),
    };
    let chosen = match (asked, allowed.as_slice()) {
        (Some(asked), _) => asked,
        (None, [only]) => only,
        (None, _) => {
            return Err(Error::InvalidTarget(format!(
                "name the resource: one of {allowed:?}"
            )))
        }
    };
    if !allowed.contains(&chosen) {
        return Err(Error::InvalidTarget(format!(
            "the assertion does not grant {chosen:?}: it grants {allowed:?}"
        )));
    }
    if !trust.resources.iter().any(|r| r == chosen) {
        return Err(Error::InvalidTarget(format!(
            "{} may not grant {chosen:?}: its resources are {:?}",
            trust.issuer, trust.resources
        )));
    }
    Ok(chosen.to_owned())
}

/// The scope the token carries: the one asked for, within what the assertion grants and the
/// trust allows (`invalid_scope` otherwise); when none is asked for, what the assertion grants
/// that the trust allows.
fn granted_scope(
    asserted: Option<&str>,
    trust: &TrustedIssuer,
    asked: Option<&str>,
) -> Result<Option<String>> {
    let within_assertion = match asked {
        Some(asked) => narrow_scope(asserted, asked)?,
        None => asserted.map(str::to_owned),
    };
    let Some(allowed) = &trust.scopes else {
        return Ok(within_assertion);
    };
    if asked.is_some() {
        return grant_scope(within_assertion.as_deref().or(Some("")), allowed);
    }
    let kept: Vec<String> = scope_tokens(within_assertion.as_deref())
        .into_iter()
        .filter(|s| allowed.contains(s))
        .collect();
    Ok((!kept.is_empty()).then(|| kept.join(" ")))
}

/// The store key that records an assertion's `jti` as used, per issuer.
pub fn used_grant_key(issuer: &str, jti: &str) -> String {
    format!("id-jag:{issuer}:{jti}")
}

/// The access token a verified assertion grants client `client_id`: for its user, resource
/// and scope, with a session of its own (revocable as any access token, and refused when its
/// user is logged out everywhere), bound to key `jkt` when the request had a DPoP proof. No
/// refresh token: the client presents a new assertion instead.
pub fn issue_for_assertion(
    issuer: &TokenIssuer,
    client_id: &str,
    grant: VerifiedGrant,
    jkt: Option<&str>,
    now: u64,
) -> Result<ClientToken> {
    let session = SessionClaims {
        sid: crate::random::new_id()?,
        sub: grant.sub,
        client_id: client_id.to_owned(),
        scope: grant.scope,
        claims: grant.claims,
        ends_at: now + issuer.policy().access_ttl,
        jkt: None,
        audience: Some(grant.audience),
        confidential: false,
    };
    issuer.issue_access_only(&session, jkt, now)
}
