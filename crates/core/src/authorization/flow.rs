//! One authorization's life, its state carried sealed ([`super::seal`]) rather than stored, as
//! Ory Hydra carries its flow: `/authorize` seals a valid request into the login challenge
//! (nothing stored), naming the session it will start; the user's app answers it once, which
//! that session's store records (in the Worker, the session's Durable Object), and the answer
//! seals the granted request and the consent into the code; the exchange opens the code, checks
//! it here, and the same store starts the session once, so a second use of the code finds it
//! started and ends it, whichever comes first.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::ClientOrigin;
use super::pkce;
use super::request::{redirect_with, AuthorizationRequest};
use super::seal::{Purpose, SealKey};
use crate::claims::check_custom_claims;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::issuer::{grant_scope, narrow_scope};
use crate::store::Store;

/// How long a login may take, in seconds.
pub const PENDING_TTL: u64 = 600;
/// How long a code lives, in seconds.
pub const CODE_TTL: u64 = 60;
/// How long after its expiry a code is still read, so that a late second use still ends the
/// session its first use started.
pub const LATE_REUSE: u64 = 86_400;
/// Where an answer is recorded in the challenge's store.
const ANSWERED: &str = "answered";

/// What the user's app decided for the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    pub sub: String,
    #[serde(default)]
    pub claims: Map<String, Value>,
    /// Narrows the requested scope; absent: all of it; empty: none of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The audience the tokens are for instead of the requested resource: set only by
    /// [`Answerer::Demo`], never by an app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The session's link to the identity provider that signed the user in (sealed), when its
    /// sessions follow it: set only by the issuer's own sign-in, never by an app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_link: Option<String>,
}

/// Who answers an authorization, and what bounds the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Answerer {
    /// The user's app (a client with the `authorizations` permission): the scope it grants stays
    /// within what was asked and, when the app has a list of scopes, within that list, as the
    /// sessions it may start are.
    App { scopes: Option<Vec<String>> },
    /// The demo's consent page: tokens for the demo's own audience with the demo's scope,
    /// whatever was asked, so that a demo turned on by mistake mints nothing real resources
    /// accept.
    Demo { audience: String, scope: String },
}

/// A pending authorization, as its login challenge carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// The session the answer's code will start: its store records the one answer first, then
    /// starts the session once (one object for both, in the Worker).
    pub id: String,
    pub request: AuthorizationRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    pub client_origin: ClientOrigin,
    pub expires_at: u64,
}

/// What the user's app is shown of a pending authorization (`GET /authorizations/{challenge}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingView {
    pub client_id: String,
    pub client_name: Option<String>,
    /// `client_kind`: `configured`, `registered` or `document` (with `client_host`).
    #[serde(flatten)]
    pub client_origin: ClientOrigin,
    pub redirect_uri: String,
    pub scope: Option<String>,
    pub resource: Option<String>,
    pub expires_at: u64,
}

/// A granted authorization, as its code carries it until the exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantedCode {
    pub request: AuthorizationRequest,
    pub consent: Consent,
    /// The session the code starts, named when the code is made: a second use of the code
    /// reaches the same session's store, which has started it, and ends it.
    pub sid: String,
    pub expires_at: u64,
}

impl GrantedCode {
    /// The scope the session starts with: what was granted or, when the exchange names a
    /// `scope`, that one, which may narrow the grant, never widen it (`invalid_scope`); an empty
    /// one is no scope.
    pub fn scope_for(&self, asked: Option<&str>) -> Result<Option<String>> {
        let Some(asked) = asked else {
            return Ok(self.consent.scope.clone());
        };
        narrow_scope(self.consent.scope.as_deref(), asked)
    }
}

/// What an exchange presents (RFC 6749 §4.1.3, RFC 7636 §4.5).
#[derive(Debug, Clone, Copy)]
pub struct CodeExchange<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: &'a str,
    pub resource: Option<&'a str>,
    /// The thumbprint of the exchange's DPoP proof's key, if it has one (checked against the
    /// request by the caller).
    pub proof_jkt: Option<&'a str>,
}

/// What a code's exchange may go on to.
#[derive(Debug, Clone, PartialEq)]
pub enum Redemption {
    /// Within its lifetime, every check passed: start the session, once.
    Granted(Box<GrantedCode>),
    /// Past its lifetime but recent: no session starts; the one a first use started, if any,
    /// is ended (a late second use).
    Late { sid: String },
}

/// The login challenge of a valid request, sealed under `key`: nothing is stored.
pub fn begin(
    key: &SealKey,
    request: AuthorizationRequest,
    client_name: Option<String>,
    client_origin: ClientOrigin,
    now: u64,
) -> Result<String> {
    let pending = Pending {
        id: crate::random::new_id()?,
        request,
        client_name,
        client_origin,
        expires_at: now + PENDING_TTL,
    };
    key.seal(Purpose::Challenge, &pending)
}

impl Pending {
    /// The pending authorization a challenge carries: `AuthorizationNotFound` when it is not
    /// one this deployment sealed, or has expired.
    pub fn open(key: &SealKey, challenge: &str, now: u64) -> Result<Pending> {
        key.open::<Pending>(Purpose::Challenge, challenge)
            .filter(|pending| pending.expires_at > now)
            .ok_or(Error::AuthorizationNotFound)
    }

    /// What the app's consent screen is shown.
    pub fn view(&self) -> PendingView {
        PendingView {
            client_id: self.request.client_id.clone(),
            client_name: self.client_name.clone(),
            client_origin: self.client_origin.clone(),
            redirect_uri: self.request.redirect_uri.clone(),
            scope: self.request.scope.clone(),
            resource: self.request.resource.clone(),
            expires_at: self.expires_at,
        }
    }

    /// The user consented, within what `by` may grant: where to send the browser, with the
    /// code. Only checks and seals; the caller records the answer ([`Answers::answer`]) before
    /// it sends the browser there, so that a challenge is answered once.
    pub fn accept(
        &self,
        consent: Consent,
        by: &Answerer,
        key: &SealKey,
        issuer: &str,
        now: u64,
    ) -> Result<String> {
        if consent.sub.is_empty() || consent.sub.len() > crate::claims::MAX_SUBJECT_LENGTH {
            return Err(Error::InvalidOption("sub must be 1 to 256 bytes".into()));
        }
        if consent.sub == self.request.client_id {
            return Err(Error::InvalidOption(
                "sub may not be the client's own id".into(),
            ));
        }
        check_custom_claims(&consent.claims)?;
        // The app may narrow the scope asked for, never widen it.
        let (scope, audience) = match by {
            Answerer::App { scopes } => {
                let scope = match consent.scope.as_deref() {
                    None => self.request.scope.clone(),
                    Some(narrowed) => narrow_scope(self.request.scope.as_deref(), narrowed)?,
                };
                if let (Some(scope), Some(own)) = (&scope, scopes) {
                    // As at `/sessions`: an app grants only scopes it may grant itself.
                    grant_scope(Some(scope), own)?;
                }
                (scope, None)
            }
            Answerer::Demo { audience, scope } => (Some(scope.clone()), Some(audience.clone())),
        };
        let granted = GrantedCode {
            request: self.request.clone(),
            consent: Consent {
                scope,
                audience,
                ..consent
            },
            sid: self.id.clone(),
            expires_at: now + CODE_TTL,
        };
        let code = key.seal(Purpose::Code, &granted)?;
        Ok(redirect_with(
            &self.request.redirect_uri,
            &[
                ("code", Some(&code)),
                ("state", self.request.state.as_deref()),
                ("iss", Some(issuer)),
            ],
        ))
    }

    /// The user (or the app) refused: where to send the browser, with the error. Only checks;
    /// the caller records the answer, as for [`Pending::accept`].
    pub fn reject(
        &self,
        error: Option<&str>,
        description: Option<&str>,
        issuer: &str,
    ) -> Result<String> {
        let error = error.unwrap_or("access_denied");
        let allowed = [
            "access_denied",
            "login_required",
            "consent_required",
            "interaction_required",
        ];
        if !allowed.contains(&error) {
            return Err(Error::InvalidOption(format!(
                "error must be one of {}",
                allowed.join(", ")
            )));
        }
        if description.is_some_and(|d| d.len() > 512 || d.contains(['"', '\\'])) {
            return Err(Error::InvalidOption(
                "error_description must be at most 512 bytes, without quotes".into(),
            ));
        }
        Ok(redirect_with(
            &self.request.redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", description),
                ("state", self.request.state.as_deref()),
                ("iss", Some(issuer)),
            ],
        ))
    }
}

/// A challenge's answers, in the store of the session its code will start (in the Worker, that
/// session's Durable Object): one, exactly.
pub struct Answers<'a, S, C> {
    pub store: &'a S,
    pub clock: &'a C,
}

impl<S: Store, C: Clock> Answers<'_, S, C> {
    /// Records the challenge's one answer, kept until the challenge expires at `expires_at`: a
    /// second answer is `AuthorizationNotFound`, so the first one stands.
    pub async fn answer(&self, expires_at: u64) -> Result<()> {
        if self.answered().await? {
            return Err(Error::AuthorizationNotFound);
        }
        let until = expires_at.max(self.clock.now() + 1);
        Ok(self.store.put(ANSWERED, "1", until).await?)
    }

    /// Whether the challenge was answered.
    pub async fn answered(&self) -> Result<bool> {
        Ok(self.store.get(ANSWERED).await?.is_some())
    }
}

/// Opens and checks a code for its exchange (RFC 6749 §4.1.3): by the client it was issued
/// to, with the same redirect URI, the PKCE verifier and, if the exchange names one, the same
/// resource; a key named at `/authorize` must sign the exchange (RFC 9449 §10). A failed
/// check uses nothing up. Exactly once is the session's store's: the caller starts
/// [`GrantedCode::sid`] there once.
pub fn redeem(
    key: &SealKey,
    code: &str,
    exchange: CodeExchange<'_>,
    now: u64,
) -> Result<Redemption> {
    let invalid = |why: &str| Error::AuthorizationCodeInvalid(why.to_owned());
    let granted: GrantedCode = key
        .open(Purpose::Code, code)
        .ok_or_else(|| invalid("not a code of this issuer"))?;
    let request = &granted.request;
    if exchange.client_id != request.client_id {
        return Err(invalid("issued to another client"));
    }
    if exchange.redirect_uri != request.redirect_uri {
        return Err(invalid(
            "redirect_uri is not the one of the authorization request",
        ));
    }
    if let Some(resource) = exchange.resource {
        if request.resource.as_deref() != Some(resource) {
            return Err(Error::InvalidTarget(format!(
                "{resource:?} is not the resource this code was issued for"
            )));
        }
    }
    pkce::verify(exchange.code_verifier, &request.code_challenge)?;
    match (&request.dpop_jkt, exchange.proof_jkt) {
        (Some(_), None) => {
            return Err(Error::DpopProofInvalid(
                "the authorization request named a key (dpop_jkt): the exchange needs a \
                 DPoP proof signed by it"
                    .into(),
            ))
        }
        (Some(named), Some(proof)) if named != proof => return Err(Error::DpopBindingMismatch),
        (None, None) if request.dpop_bound => {
            return Err(Error::DpopProofInvalid(
                "this client gets bound tokens only (dpop_bound_access_tokens): the exchange \
                 needs a DPoP proof"
                    .into(),
            ))
        }
        _ => {}
    }
    if now >= granted.expires_at + LATE_REUSE {
        return Err(invalid("expired"));
    }
    if now >= granted.expires_at {
        return Ok(Redemption::Late { sid: granted.sid });
    }
    Ok(Redemption::Granted(Box::new(granted)))
}
