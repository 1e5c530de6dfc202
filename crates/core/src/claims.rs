//! The claims edge-jwt issues (RFC 9068 access tokens, rotating refresh tokens) and the typed
//! views of verified tokens.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ClaimReason, Error, Result};
use crate::jose::json::{self, Borrowed, Members};

/// `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// `typ` of refresh tokens: never accepted where an access token is expected, nor the reverse.
pub const REFRESH_TOKEN_TYP: &str = "rt+jwt";

/// Claim names a client may not set as custom claims: registered (RFC 7519), protocol
/// (RFC 9068, RFC 8693) and edge-jwt's own.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "client_id",
    "typ",
    "scope",
    "cnf",
    "act",
    "may_act",
    "auth_time",
    "nonce",
    "session_end",
];

/// Longest `sub` accepted: it becomes part of a KV key, which Workers KV limits to 512 bytes.
pub const MAX_SUBJECT_LENGTH: usize = 256;

/// The identifiers of a verified token that the revocation list is checked against (defined
/// here, with the claims, so that imports run one way: claims before revocation).
#[derive(Debug, Clone, Copy)]
pub struct TokenIds<'a> {
    pub jti: &'a str,
    pub sid: &'a str,
    pub sub: &'a str,
    pub iat: u64,
    /// The `kid` of the key that signed it, when the verifier saw the header: a revoked
    /// signing key refuses every token it signed.
    pub kid: Option<&'a str>,
}

/// A verified JWT claims set: a JSON object, as signed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Claims(pub Map<String, Value>);

impl Claims {
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// A string claim; `Invalid` if present with another type.
    pub fn string(&self, name: &'static str) -> Result<Option<&str>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid_claim(name, ClaimReason::Invalid)),
        }
    }

    pub fn required_string(&self, name: &'static str) -> Result<&str> {
        self.string(name)?
            .ok_or(Error::invalid_claim(name, ClaimReason::Missing))
    }

    /// A NumericDate claim (RFC 7519 §2), which may carry a fraction.
    pub fn numeric_date(&self, name: &'static str) -> Result<Option<f64>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or(Error::invalid_claim(name, ClaimReason::Invalid)),
            Some(_) => Err(Error::invalid_claim(name, ClaimReason::Invalid)),
        }
    }

    /// A NumericDate claim read as whole seconds (edge-jwt writes whole seconds).
    pub fn required_seconds(&self, name: &'static str) -> Result<u64> {
        let date = self
            .numeric_date(name)?
            .ok_or(Error::invalid_claim(name, ClaimReason::Missing))?;
        if date < 0.0 || date.fract() != 0.0 {
            return Err(Error::invalid_claim(name, ClaimReason::Invalid));
        }
        Ok(date as u64)
    }

    /// The key the token is bound to (RFC 9449 §6): its `cnf.jkt`, if it has a `cnf`.
    pub fn bound_key(&self) -> Result<Option<&str>> {
        match self.0.get("cnf") {
            None => Ok(None),
            Some(Value::Object(cnf)) => match cnf.get("jkt") {
                Some(Value::String(jkt)) => Ok(Some(jkt)),
                _ => Err(Error::invalid_claim("cnf", ClaimReason::Invalid)),
            },
            Some(_) => Err(Error::invalid_claim("cnf", ClaimReason::Invalid)),
        }
    }
}

/// A claims set read in place from the payload's JSON text, without a map: what the verifier's
/// claim rules read, so that a verification builds no [`Claims`] nobody asks for.
#[derive(Debug)]
pub struct BorrowedClaims<'a>(pub Members<'a>);

impl BorrowedClaims<'_> {
    /// A string claim, as [`Claims::string`].
    pub fn string(&self, name: &'static str) -> Result<Option<&str>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Borrowed::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid_claim(name, ClaimReason::Invalid)),
        }
    }

    /// A NumericDate claim, as [`Claims::numeric_date`].
    pub fn numeric_date(&self, name: &'static str) -> Result<Option<f64>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Borrowed::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or(Error::invalid_claim(name, ClaimReason::Invalid)),
            Some(_) => Err(Error::invalid_claim(name, ClaimReason::Invalid)),
        }
    }

    /// The `aud` claim's audiences: one string or an array of strings (RFC 7519 §4.1.3).
    pub fn audiences(&self) -> Result<Vec<&str>> {
        let invalid = || Error::invalid_claim("aud", ClaimReason::Invalid);
        match self.0.get("aud") {
            None => Ok(Vec::new()),
            Some(Borrowed::String(aud)) => Ok(vec![aud.as_ref()]),
            Some(Borrowed::Array(items)) => (items.iter())
                .map(|item| item.as_str().ok_or_else(invalid))
                .collect(),
            Some(_) => Err(invalid()),
        }
    }

    /// A claim's value, whatever its type.
    pub fn value(&self, name: &str) -> Option<Value> {
        self.0.get(name).map(json::to_value)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

/// `cnf` of a token bound to a key (RFC 9449 §6.1): the key's RFC 7638 thumbprint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Confirmation {
    pub jkt: String,
}

/// The private claims of an access token besides the registered ones jwt-simple carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessExtra {
    pub client_id: String,
    pub sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// The private claims of a refresh token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefreshExtra {
    pub client_id: String,
    pub sid: String,
    /// The session's absolute end (seconds): no refresh goes past it.
    pub session_end: u64,
    /// Issued to a confidential client: it refreshes only with the client's credentials.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confidential: bool,
}

/// A verified access token (RFC 9068).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessClaims {
    pub sub: String,
    pub jti: String,
    pub sid: String,
    pub client_id: String,
    pub iat: u64,
    pub exp: u64,
    pub scope: Option<String>,
    /// The whole claims set, custom claims included.
    pub claims: Claims,
    /// The `kid` of the key it was verified with: a revoked signing key refuses it.
    pub kid: Option<String>,
}

impl AccessClaims {
    /// What the revocation list is checked against.
    pub fn ids(&self) -> TokenIds<'_> {
        TokenIds {
            jti: &self.jti,
            sid: &self.sid,
            sub: &self.sub,
            iat: self.iat,
            kid: self.kid.as_deref(),
        }
    }

    /// The claims of a token verified with key `kid` (the header's).
    pub fn from_claims(claims: Claims, kid: Option<String>) -> Result<Self> {
        Ok(AccessClaims {
            sub: claims.required_string("sub")?.to_owned(),
            jti: claims.required_string("jti")?.to_owned(),
            sid: claims.required_string("sid")?.to_owned(),
            client_id: claims.required_string("client_id")?.to_owned(),
            iat: claims.required_seconds("iat")?,
            exp: claims.required_seconds("exp")?,
            scope: claims.string("scope")?.map(str::to_owned),
            claims,
            kid,
        })
    }
}

/// A verified refresh token. Serializable so that an adapter that verified it can hand it to
/// the place that rotates it (the Worker to the session's Durable Object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub sub: String,
    pub jti: String,
    pub sid: String,
    pub client_id: String,
    pub iat: u64,
    pub exp: u64,
    pub session_end: u64,
    /// Issued to a confidential client, which must authenticate to refresh it.
    #[serde(default)]
    pub confidential: bool,
    /// The `kid` of the key it was verified with: a revoked signing key refuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

impl RefreshClaims {
    /// What the revocation list is checked against.
    pub fn ids(&self) -> TokenIds<'_> {
        TokenIds {
            jti: &self.jti,
            sid: &self.sid,
            sub: &self.sub,
            iat: self.iat,
            kid: self.kid.as_deref(),
        }
    }

    /// RFC 6749 §6: a client that authenticated refreshes only the tokens issued to it, and a
    /// confidential client's tokens refresh only with its credentials. Otherwise a public
    /// client (no authentication) may refresh any: the browser refreshes the sessions a
    /// trusted back end started for it.
    pub fn check_client(&self, authenticated: Option<&str>) -> Result<()> {
        match authenticated {
            Some(client) if client != self.client_id => Err(Error::ClientMismatch),
            None if self.confidential => Err(Error::ClientAuthenticationRequired),
            _ => Ok(()),
        }
    }

    /// The claims of a token verified with key `kid` (the header's).
    pub fn from_claims(claims: &Claims, kid: Option<String>) -> Result<Self> {
        Ok(RefreshClaims {
            sub: claims.required_string("sub")?.to_owned(),
            jti: claims.required_string("jti")?.to_owned(),
            sid: claims.required_string("sid")?.to_owned(),
            client_id: claims.required_string("client_id")?.to_owned(),
            iat: claims.required_seconds("iat")?,
            exp: claims.required_seconds("exp")?,
            session_end: claims.required_seconds("session_end")?,
            confidential: claims.as_map().get("confidential") == Some(&Value::Bool(true)),
            kid,
        })
    }
}

/// Claims an identity provider's token hands on into the issuer's access tokens (an upstream's
/// or a trusted issuer's `claims`): the operator lists them, and none may be one the issuer
/// writes itself.
#[derive(Debug, Clone, Copy)]
pub struct CarriedClaims<'a>(pub &'a [String]);

impl<'a> CarriedClaims<'a> {
    /// The first listed claim the issuer writes itself, if any (a configuration to refuse).
    pub fn reserved(self) -> Option<&'a str> {
        (self.0.iter())
            .map(String::as_str)
            .find(|name| RESERVED_CLAIMS.contains(name))
    }

    /// The listed claims of `from`, where it has them.
    pub fn from(self, from: &Map<String, Value>) -> Map<String, Value> {
        (self.0.iter())
            .filter_map(|name| Some((name.clone(), from.get(name)?.clone())))
            .collect()
    }
}

/// Refuses custom claims that would shadow a registered or protocol claim.
pub fn check_custom_claims(custom: &Map<String, Value>) -> Result<()> {
    match custom
        .keys()
        .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
    {
        Some(name) => Err(Error::ReservedClaim(name.clone())),
        None => Ok(()),
    }
}
