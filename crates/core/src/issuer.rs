//! The token issuer: signs a session's tokens (and a client's own), and verifies the issuer's
//! own tokens. It knows nothing of stores: the services over them call it.

use jwt_simple::prelude::{Audiences, JWTClaims, UnixTimeStamp};
use serde::{Deserialize, Serialize};

use serde_json::{Map, Value};

use crate::claims::{
    AccessClaims, AccessExtra, Confirmation, RefreshClaims, RefreshExtra, ACCESS_TOKEN_TYP,
    REFRESH_TOKEN_TYP,
};
use crate::error::{Error, Result};
use crate::jose::CompactJws;
use crate::keys::KeySet;
use crate::policy::Policy;
use crate::verify::{Verifier, VerifyOptions};

/// What every token of a session carries: who, for which client, until when. A session's
/// record keeps it; the issuer signs from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub sid: String,
    pub sub: String,
    pub client_id: String,
    pub scope: Option<String>,
    /// Custom claims copied into every access token of the session.
    pub claims: Map<String, Value>,
    /// The absolute end: no token of the session is valid past it.
    pub ends_at: u64,
    /// The thumbprint of the key the session is bound to (RFC 9449 §5): its refresh token
    /// refreshes only with a DPoP proof by that key, and its access tokens carry `cnf.jkt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// `aud` of its access tokens when not the policy's (the demo's own audience, so that its
    /// tokens are never accepted by the real resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Its client is confidential: its refresh tokens say so, and refresh only with the
    /// client's credentials (RFC 6749 §6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confidential: bool,
}

/// What one pair of tokens was signed from: with the session's claims, enough to sign the very
/// same pair again (signing is deterministic), and not enough to use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// `iat` of both tokens.
    pub iat: u64,
    /// `jti` of the refresh token.
    pub refresh_jti: String,
    /// `jti` of the access token.
    pub access_jti: String,
    /// The thumbprint of the key the access token is bound to (`cnf.jkt`), if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// The scope of the access token when its refresh asked for less than the session's
    /// (RFC 6749 §6; empty: none); the refresh token keeps the session's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Grant {
    /// The scope its access token carries.
    pub fn access_scope<'a>(&'a self, session: &'a SessionClaims) -> Option<&'a str> {
        match self.scope.as_deref() {
            Some("") => None,
            Some(narrowed) => Some(narrowed),
            None => session.scope.as_deref(),
        }
    }
}

/// `token_type` of an access token: `DPoP` when it is bound to a key (RFC 9449 §5).
fn token_type(jkt: Option<&str>) -> String {
    if jkt.is_some() { "DPoP" } else { "Bearer" }.to_owned()
}

/// An access/refresh pair, as the token endpoint answers it (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The resource the tokens are for (RFC 8707), when the session was authorized for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// The answer to a client credentials grant (RFC 6749 §4.4.3): an access token, no refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The resource the token is for (RFC 8707), when the client named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What the token is, in a token exchange's answer (RFC 8693 §2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

/// The scope that asks for a refresh token (OpenID Connect's, which the MCP authorization
/// revisions let an authorization server list): the code flow always issues one, so it is
/// granted to every client that asks, whatever its own list of scopes.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The scope tokens of a space-separated `scope` (none for none).
pub fn scope_tokens(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What was `granted`, narrowed to what a client `asked` for (RFC 6749 §3.3, §6): each asked
/// scope one that was granted (`invalid_scope` otherwise); blank asks for none.
pub fn narrow_scope(granted: Option<&str>, asked: &str) -> Result<Option<String>> {
    grant_scope(Some(asked), &scope_tokens(granted))
}

/// The scope a client gets (RFC 6749 §3.3): what it asked for, each scope one it may have;
/// when it asked for none (no `scope` at all), all it may have. A scope that is present is
/// what is granted: an empty or blank one grants no scope, never the default.
pub fn grant_scope(requested: Option<&str>, allowed: &[String]) -> Result<Option<String>> {
    let Some(requested) = requested else {
        return Ok((!allowed.is_empty()).then(|| allowed.join(" ")));
    };
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == scope) {
            return Err(Error::InvalidScope(scope.to_owned()));
        }
        if !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    Ok((!granted.is_empty()).then(|| granted.join(" ")))
}

/// The issuer's keys and policy, with a verifier for each of its two token types.
#[derive(Debug)]
pub struct TokenIssuer {
    keys: KeySet,
    policy: Policy,
    access: Verifier,
    /// The issuer's access tokens for any audience it issues for (the policy's, the demo's):
    /// for revocation and introspection, which take every token it issued.
    any_access: Verifier,
    refresh: Verifier,
}

impl TokenIssuer {
    pub fn new(keys: KeySet, policy: Policy) -> Result<Self> {
        policy.validate()?;
        let verifier = |audience: Option<&str>, typ: &str| {
            Verifier::new(
                keys.verification_keys(),
                VerifyOptions {
                    issuer: Some(policy.issuer.clone()),
                    audience: audience.map(str::to_owned),
                    leeway: policy.leeway,
                    typ: Some(typ.to_owned()),
                    // The issuer's own resources check a bound token's proof themselves
                    // (`dpop::resource_claims`); introspection and revocation take any.
                    allow_bound_tokens: true,
                    ..VerifyOptions::default()
                },
            )
        };
        let access = verifier(Some(&policy.audience), ACCESS_TOKEN_TYP)?;
        let any_access = verifier(None, ACCESS_TOKEN_TYP)?;
        let refresh = verifier(Some(&policy.issuer), REFRESH_TOKEN_TYP)?;
        Ok(TokenIssuer {
            keys,
            policy,
            access,
            any_access,
            refresh,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The verifier for this issuer's access tokens (`typ` at+jwt, its `iss` and `aud`).
    pub fn access_verifier(&self) -> &Verifier {
        &self.access
    }

    pub fn verify_access(&self, token: &str, now: u64) -> Result<AccessClaims> {
        let (claims, kid) = self.access.verify_to_claims(token, now)?.into_parts();
        AccessClaims::from_claims(claims, kid)
    }

    /// Verifies an access token of this issuer for any audience it issues for.
    pub fn verify_access_any_audience(&self, token: &str, now: u64) -> Result<AccessClaims> {
        let (claims, kid) = self.any_access.verify_to_claims(token, now)?.into_parts();
        AccessClaims::from_claims(claims, kid)
    }

    pub fn verify_refresh(&self, token: &str, now: u64) -> Result<RefreshClaims> {
        let parsed = self.refresh.verify_to_claims(token, now)?;
        RefreshClaims::from_claims(parsed.claims(), parsed.kid.clone())
    }

    /// Verifies either kind of this issuer's tokens, access tokens for any audience (for
    /// revocation and introspection). The
    /// (unverified) `typ` only picks which verifier runs first, so that a refresh token costs
    /// one signature check, not two; each verifier still checks everything, `typ` included.
    pub fn verify_any(&self, token: &str, now: u64) -> Result<IssuedToken> {
        let refresh_first = CompactJws::parse(token, self.access.options().max_token_length)
            .is_ok_and(|jws| jws.header.typ_is(REFRESH_TOKEN_TYP));
        let access = || {
            self.verify_access_any_audience(token, now)
                .map(IssuedToken::Access)
        };
        let refresh = || {
            self.refresh
                .verify_to_claims(token, now)
                .and_then(|parsed| RefreshClaims::from_claims(parsed.claims(), parsed.kid.clone()))
                .map(IssuedToken::Refresh)
        };
        if refresh_first {
            refresh().or_else(|refresh_error| access().map_err(|_| refresh_error))
        } else {
            access().or_else(|access_error| refresh().map_err(|_| access_error))
        }
    }

    /// What revoking `token` means (RFC 7009): an access token revokes its `jti`, a refresh
    /// token its whole session. `None` for a token that is expired, foreign or malformed: it
    /// needs nothing revoked.
    pub fn revocation_target(&self, token: &str, now: u64) -> Option<RevocationTarget> {
        match self.verify_any(token, now).ok()? {
            IssuedToken::Access(claims) => Some(RevocationTarget::Token(claims)),
            IssuedToken::Refresh(claims) => Some(RevocationTarget::Session(claims)),
        }
    }

    fn claims<C>(
        &self,
        audience: &str,
        subject: &str,
        (iat, exp, jti): (u64, u64, &str),
        custom: C,
    ) -> JWTClaims<C> {
        JWTClaims {
            issued_at: Some(UnixTimeStamp::from_secs(iat)),
            expires_at: Some(UnixTimeStamp::from_secs(exp)),
            invalid_before: None,
            issuer: Some(self.policy.issuer.clone()),
            subject: Some(subject.to_owned()),
            audiences: Some(Audiences::AsString(audience.to_owned())),
            jwt_id: Some(jti.to_owned()),
            nonce: None,
            custom,
        }
    }

    /// Signs the access token of `session` issued at `iat` with id `jti`, bound to key `jkt`
    /// if given; returns it with its `exp`. The same arguments give the same token (signing is
    /// deterministic).
    pub(crate) fn sign_access(
        &self,
        session: &SessionClaims,
        (iat, jti): (u64, &str),
        (jkt, scope): (Option<&str>, Option<&str>),
    ) -> Result<(String, u64)> {
        let exp = (iat + self.policy.access_ttl).min(session.ends_at);
        let extra = AccessExtra {
            client_id: session.client_id.clone(),
            sid: session.sid.clone(),
            scope: scope.map(str::to_owned),
            cnf: jkt.map(|jkt| Confirmation {
                jkt: jkt.to_owned(),
            }),
            custom: session.claims.clone(),
        };
        let audience = session.audience.as_deref().unwrap_or(&self.policy.audience);
        let claims = self.claims(audience, &session.sub, (iat, exp, jti), extra);
        Ok((self.keys.signer().sign(claims, ACCESS_TOKEN_TYP)?, exp))
    }

    /// Signs the refresh token of `session` issued at `iat` with id `jti`.
    pub(crate) fn sign_refresh(
        &self,
        session: &SessionClaims,
        iat: u64,
        jti: &str,
    ) -> Result<String> {
        let exp = (iat + self.policy.refresh_ttl).min(session.ends_at);
        let extra = RefreshExtra {
            client_id: session.client_id.clone(),
            sid: session.sid.clone(),
            session_end: session.ends_at,
            confidential: session.confidential,
        };
        let claims = self.claims(&self.policy.issuer, &session.sub, (iat, exp, jti), extra);
        self.keys.signer().sign(claims, REFRESH_TOKEN_TYP)
    }

    /// An access token for client `client_id` itself (the client credentials grant): `sub`
    /// and `client_id` are the client; its `sid` is its own, so that it can be revoked like
    /// any access token; bound to key `jkt` when the request came with a DPoP proof; for
    /// `audience` (a resource it asked for, RFC 8707) or the policy's; no refresh token.
    pub fn issue_client_token(
        &self,
        client_id: &str,
        scope: Option<String>,
        jkt: Option<&str>,
        audience: Option<&str>,
        now: u64,
    ) -> Result<ClientToken> {
        let session = SessionClaims {
            sid: crate::random::new_id()?,
            sub: client_id.to_owned(),
            client_id: client_id.to_owned(),
            scope,
            claims: Map::new(),
            ends_at: now + self.policy.access_ttl,
            jkt: None,
            audience: audience.map(str::to_owned),
            confidential: false,
        };
        self.issue_access_only(&session, jkt, now)
    }

    /// An access token alone from `session`'s claims (a client's own, an exchanged or an
    /// asserted one), bound to key `jkt` if given, with a new `jti`.
    pub(crate) fn issue_access_only(
        &self,
        session: &SessionClaims,
        jkt: Option<&str>,
        now: u64,
    ) -> Result<ClientToken> {
        let jti = crate::random::new_id()?;
        let scope = session.scope.as_deref();
        let (access_token, exp) = self.sign_access(session, (now, &jti), (jkt, scope))?;
        Ok(ClientToken {
            access_token,
            token_type: token_type(jkt),
            expires_in: exp.saturating_sub(now),
            scope: session.scope.clone(),
            resource: session.audience.clone(),
            issued_token_type: None,
        })
    }

    /// The pair a rotation (or a session's start) hands out: both tokens signed from what the
    /// record keeps, so that the same grant can be answered again without storing a token.
    pub(crate) fn issue(
        &self,
        session: &SessionClaims,
        grant: &Grant,
        now: u64,
    ) -> Result<TokenPair> {
        let refresh_token = self.sign_refresh(session, grant.iat, &grant.refresh_jti)?;
        let scope = grant.access_scope(session);
        let (access_token, access_exp) = self.sign_access(
            session,
            (grant.iat, &grant.access_jti),
            (grant.jkt.as_deref(), scope),
        )?;
        Ok(TokenPair {
            access_token,
            token_type: token_type(grant.jkt.as_deref()),
            expires_in: access_exp.saturating_sub(now),
            refresh_token,
            scope: scope.map(str::to_owned),
            resource: session.audience.clone(),
        })
    }

    /// A signed access token for `session`, for tests that need a real one.
    #[cfg(any(test, feature = "testing"))]
    pub fn sign_access_for_tests(&self, session: &SessionClaims, iat: u64) -> String {
        let jti = crate::random::new_id().unwrap_or_default();
        let bound = (session.jkt.as_deref(), session.scope.as_deref());
        self.sign_access(session, (iat, &jti), bound)
            .map(|(t, _)| t)
            .unwrap_or_default()
    }

    /// A signed refresh token for `session`, for tests that need a real one.
    #[cfg(any(test, feature = "testing"))]
    pub fn sign_refresh_for_tests(&self, session: &SessionClaims, iat: u64) -> String {
        let jti = crate::random::new_id().unwrap_or_default();
        self.sign_refresh(session, iat, &jti).unwrap_or_default()
    }
}

/// What a revocation request revokes.
#[derive(Debug, Clone, PartialEq)]
pub enum RevocationTarget {
    /// An access token: its `jti` until its `exp`, through its session's store.
    Token(AccessClaims),
    Session(RefreshClaims),
}

impl RevocationTarget {
    /// Whether `client` may revoke it (RFC 7009 §2.1): a client that authenticated, or a public
    /// client that named itself, only its own tokens (`ClientMismatch`); a confidential
    /// client's refresh token only with its credentials, as at a refresh. With no client at
    /// all, holding the token is enough: revoking takes nothing from the holder but the token
    /// (the browser logs out of the sessions a back end started for it).
    pub fn check_client(&self, client: Option<&str>) -> Result<()> {
        match self {
            RevocationTarget::Session(claims) => claims.check_client(client),
            RevocationTarget::Token(claims) => match client {
                Some(client) if client != claims.client_id => Err(Error::ClientMismatch),
                _ => Ok(()),
            },
        }
    }
}

/// One of the issuer's tokens, verified.
#[derive(Debug, Clone, PartialEq)]
pub enum IssuedToken {
    Access(AccessClaims),
    Refresh(RefreshClaims),
}
