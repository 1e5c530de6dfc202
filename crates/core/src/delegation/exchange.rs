//! Token exchange (RFC 8693): a client permitted to delegate presents an access token this
//! issuer made for it (the subject token) and gets one for another audience, acting for the
//! same subject. The new token belongs to the subject token's session: it carries its `sid`,
//! so ending that session, logging the subject out or a reuse detection refuses it too. It
//! names the exchanging client in `act` (delegation), is never wider in scope nor longer-lived
//! than the subject token, stays bound where the subject token was, and comes alone: no
//! refresh token.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::actor::{delegated_to, delegation_chain, MAX_ACTORS};
use crate::claims::{AccessClaims, RESERVED_CLAIMS};
use crate::error::{Error, Result};
use crate::issuer::{narrow_scope, ClientToken, SessionClaims, TokenIssuer};

/// `grant_type` of a token exchange (RFC 8693 §2.1).
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type of an access token (RFC 8693 §3): the only one exchanged and issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// What a client may exchange (its `exchange` setting): subject tokens for the audiences in
/// `from` (the resources it serves, whose tokens it receives) for tokens for those in `to`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRules {
    pub from: Vec<String>,
    pub to: Vec<String>,
    /// Its tokens act as the subject itself, with no `act` naming it (RFC 8693 §1.1
    /// impersonation). Default: false, delegation.
    #[serde(default)]
    pub impersonate: bool,
}

impl ExchangeRules {
    /// Refuses rules that allow nothing.
    pub fn validate(&self) -> Result<()> {
        if self.from.is_empty() || self.to.is_empty() {
            return Err(Error::InvalidOption(
                "exchange needs from (the audiences of the tokens it may exchange) and to (the \
                 audiences it may exchange them for), each a non-empty list"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// A token exchange request's parameters (RFC 8693 §2.1), as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExchangeRequest<'a> {
    pub subject_token: &'a str,
    pub subject_token_type: &'a str,
    pub requested_token_type: Option<&'a str>,
    /// The audience asked for, by `resource` (RFC 8707) or `audience`.
    pub audience: Option<&'a str>,
    pub scope: Option<&'a str>,
    /// Whether it sent an `actor_token`, which the issuer does not take: the actor is the
    /// client that authenticated.
    pub actor_token: bool,
}

/// Runs a token exchange for authenticated client `client_id` under `rules`. `proof_jkt` is
/// the key of the request's DPoP proof, if it has one. The caller has checked the revocation
/// list for the subject token ([`subject_token`] first, then this).
pub fn exchange(
    issuer: &TokenIssuer,
    (client_id, rules): (&str, &ExchangeRules),
    subject: &AccessClaims,
    request: &ExchangeRequest<'_>,
    proof_jkt: Option<&str>,
    now: u64,
) -> Result<ClientToken> {
    let invalid = |why: String| Error::TokenExchangeInvalid(why);
    if request
        .requested_token_type
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(invalid(format!(
            "requested_token_type must be {ACCESS_TOKEN_TYPE}"
        )));
    }
    if request.actor_token {
        return Err(invalid(
            "actor_token is not taken: the client that authenticates is the actor".into(),
        ));
    }
    let from = subject.claims.string("aud")?.unwrap_or_default();
    if !rules.from.iter().any(|a| a == from) {
        return Err(invalid(format!(
            "this client may not exchange tokens for {from:?}: its exchange.from is {:?}",
            rules.from
        )));
    }
    let audience = match (request.audience, rules.to.as_slice()) {
        (Some(asked), to) if to.iter().any(|a| a == asked) => asked,
        (Some(asked), to) => {
            return Err(Error::InvalidTarget(format!(
                "this client may not exchange for {asked:?}: its exchange.to is {to:?}"
            )))
        }
        (None, [only]) => only.as_str(),
        (None, to) => {
            return Err(Error::InvalidTarget(format!(
                "name the audience (resource or audience): one of {to:?}"
            )))
        }
    };
    let scope = match request.scope {
        Some(asked) => narrow_scope(subject.scope.as_deref(), asked)?,
        None => subject.scope.clone(),
    };
    // A bound subject token is exchanged only by its key's holder; the result is bound to the
    // proof's key, which is then that same key.
    match (subject.claims.bound_key()?, proof_jkt) {
        (Some(_), None) => {
            return Err(Error::DpopProofInvalid(
                "the subject token is bound to a key: send a DPoP proof signed by it".into(),
            ))
        }
        (Some(bound), Some(proof)) if bound != proof => return Err(Error::DpopBindingMismatch),
        _ => {}
    }
    let mut claims: Map<String, Value> = (subject.claims.as_map().iter())
        .filter(|(name, _)| !RESERVED_CLAIMS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let prior = subject.claims.as_map().get("act");
    if rules.impersonate {
        // The subject's own token, as far as the audience can tell; a chain it had stays.
        if let Some(prior) = prior {
            claims.insert("act".into(), prior.clone());
        }
    } else {
        if delegation_chain(subject.claims.as_map())?.len() >= MAX_ACTORS {
            return Err(invalid(format!(
                "the subject token was delegated {MAX_ACTORS} times already"
            )));
        }
        claims.insert("act".into(), delegated_to(client_id, prior));
    }
    let session = SessionClaims {
        sid: subject.sid.clone(),
        sub: subject.sub.clone(),
        client_id: client_id.to_owned(),
        scope,
        claims,
        ends_at: subject.exp,
        jkt: None,
        audience: Some(audience.to_owned()),
        confidential: false,
    };
    let mut token = issuer.issue_access_only(&session, proof_jkt, now)?;
    token.issued_token_type = Some(ACCESS_TOKEN_TYPE.to_owned());
    Ok(token)
}

/// The subject token of an exchange: an access token this issuer made, for any audience, of
/// the type the request says it is. Anything else is `TokenExchangeInvalid` saying why.
pub fn subject_token(
    issuer: &TokenIssuer,
    request: &ExchangeRequest<'_>,
    now: u64,
) -> Result<AccessClaims> {
    if request.subject_token_type != ACCESS_TOKEN_TYPE {
        return Err(Error::TokenExchangeInvalid(format!(
            "subject_token_type must be {ACCESS_TOKEN_TYPE}: only this issuer's access tokens \
             are exchanged"
        )));
    }
    issuer
        .verify_access_any_audience(request.subject_token, now)
        .map_err(|e| Error::TokenExchangeInvalid(format!("the subject token: {e}")))
}
