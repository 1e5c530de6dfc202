//! One authorization's life, in its own store (in the Worker, a Durable Object per login
//! challenge, so that answering it and redeeming its code happen once, exactly): pending until
//! the user's app accepts or rejects it (at most [`PENDING_TTL`]), then a code usable once
//! within [`CODE_TTL`]. A second use of the code is reuse: the session the first started is
//! revoked by the caller.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::ClientOrigin;
use super::pkce::{self, ct_eq};
use super::request::{redirect_with, AuthorizationRequest};
use crate::claims::check_custom_claims;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::issuer::grant_scope;
use crate::jose::b64;
use crate::store::Store;

/// How long a login may take, in seconds.
pub const PENDING_TTL: u64 = 600;
/// How long a code lives, in seconds.
pub const CODE_TTL: u64 = 60;
/// How long a redeemed code is remembered, so that a late second use still revokes.
const REDEEMED_TTL: u64 = 86_400;
const KEY: &str = "authorization";

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

/// The state of an authorization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Answer {
    Pending,
    Accepted {
        consent: Box<Consent>,
        /// BASE64URL(SHA-256) of the code's secret part.
        code_hash: String,
        code_expires_at: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redeemed: Option<Redeemed>,
    },
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Redeemed {
    /// The session the first use started, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    /// A second use was seen.
    reused: bool,
}

/// What the store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    request: AuthorizationRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_name: Option<String>,
    #[serde(default)]
    client_origin: ClientOrigin,
    expires_at: u64,
    answer: Answer,
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

/// What redeeming a code gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redemption {
    /// The first use: the request and the consent to start the session from.
    Granted {
        request: Box<AuthorizationRequest>,
        consent: Box<Consent>,
    },
    /// A second use: the session the first started, if known yet, is to be revoked.
    Reused { sid: Option<String> },
}

/// What a code exchange presents (RFC 6749 §4.1.3, RFC 7636 §4.5).
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

/// A code is `<challenge>.<secret>`: the challenge addresses the authorization's store.
pub fn split_code(code: &str) -> Result<(&str, &str)> {
    code.split_once('.')
        .filter(|(challenge, secret)| challenge.len() == 22 && secret.len() == 22)
        .ok_or_else(|| Error::AuthorizationCodeInvalid("not a code of this issuer".into()))
}

fn hash(secret: &str) -> String {
    b64::encode(&hmac_sha256::Hash::hash(secret.as_bytes()))
}

/// One authorization, over its own store.
pub struct Authorization<'a, S, C> {
    pub store: &'a S,
    pub clock: &'a C,
    /// The issuer, for the `iss` of redirects (RFC 9207).
    pub issuer: &'a str,
}

impl<S: Store, C: Clock> Authorization<'_, S, C> {
    async fn load(&self) -> Result<Option<Record>> {
        let now = self.clock.now();
        match self.store.get(KEY).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str::<Record>(&text)
                .map(|r| (r.expires_at > now).then_some(r))
                .map_err(|_| Error::StoreUnavailable("corrupt authorization record".into())),
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let text = serde_json::to_string(record)
            .map_err(|e| Error::Internal(format!("cannot encode authorization: {e}")))?;
        Ok(self.store.put(KEY, &text, record.expires_at).await?)
    }

    /// Keeps a valid request, pending the user's answer.
    pub async fn begin(
        &self,
        request: AuthorizationRequest,
        client_name: Option<String>,
        client_origin: ClientOrigin,
    ) -> Result<()> {
        if self.store.get(KEY).await?.is_some() {
            return Err(Error::Internal("the login challenge is in use".into()));
        }
        let record = Record {
            request,
            client_name,
            client_origin,
            expires_at: self.clock.now() + PENDING_TTL,
            answer: Answer::Pending,
        };
        self.save(&record).await
    }

    async fn pending(&self) -> Result<Record> {
        match self.load().await? {
            Some(record) if record.answer == Answer::Pending => Ok(record),
            _ => Err(Error::AuthorizationNotFound),
        }
    }

    /// The pending request, for the app's consent screen.
    pub async fn describe(&self) -> Result<PendingView> {
        let record = self.pending().await?;
        Ok(PendingView {
            client_id: record.request.client_id,
            client_name: record.client_name,
            client_origin: record.client_origin,
            redirect_uri: record.request.redirect_uri,
            scope: record.request.scope,
            resource: record.request.resource,
            expires_at: record.expires_at,
        })
    }

    /// The user consented: a code for the client, answered once. `challenge` is this
    /// authorization's own (the code names it); `by` bounds what the answer may grant. Returns
    /// where to send the browser.
    pub async fn accept(&self, challenge: &str, consent: Consent, by: &Answerer) -> Result<String> {
        let mut record = self.pending().await?;
        if consent.sub.is_empty() || consent.sub.len() > crate::claims::MAX_SUBJECT_LENGTH {
            return Err(Error::InvalidOption("sub must be 1 to 256 bytes".into()));
        }
        if consent.sub == record.request.client_id {
            return Err(Error::InvalidOption(
                "sub may not be the client's own id".into(),
            ));
        }
        check_custom_claims(&consent.claims)?;
        // The app may narrow the scope asked for, never widen it.
        let asked: Vec<String> = record
            .request
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let (scope, audience) = match by {
            Answerer::App { scopes } => {
                let scope = match consent.scope.as_deref() {
                    None => record.request.scope.clone(),
                    Some(narrowed) => grant_scope(Some(narrowed), &asked)?,
                };
                if let (Some(scope), Some(own)) = (&scope, scopes) {
                    // As at `/sessions`: an app grants only scopes it may grant itself.
                    grant_scope(Some(scope), own)?;
                }
                (scope, None)
            }
            Answerer::Demo { audience, scope } => (Some(scope.clone()), Some(audience.clone())),
        };
        let secret = crate::random::new_id()?;
        let now = self.clock.now();
        record.answer = Answer::Accepted {
            consent: Box::new(Consent {
                scope,
                audience,
                ..consent
            }),
            code_hash: hash(&secret),
            code_expires_at: now + CODE_TTL,
            redeemed: None,
        };
        record.expires_at = now + CODE_TTL + REDEEMED_TTL;
        self.save(&record).await?;
        let code = format!("{challenge}.{secret}");
        Ok(redirect_with(
            &record.request.redirect_uri,
            &[
                ("code", Some(&code)),
                ("state", record.request.state.as_deref()),
                ("iss", Some(self.issuer)),
            ],
        ))
    }

    /// The user (or the app) refused: an error for the client, answered once.
    pub async fn reject(&self, error: Option<&str>, description: Option<&str>) -> Result<String> {
        let mut record = self.pending().await?;
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
        record.answer = Answer::Rejected;
        self.save(&record).await?;
        Ok(redirect_with(
            &record.request.redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", description),
                ("state", record.request.state.as_deref()),
                ("iss", Some(self.issuer)),
            ],
        ))
    }

    /// Redeems the code whose secret part is `secret`, once (RFC 6749 §4.1.3): by the client it
    /// was issued to, with the same redirect URI, the PKCE verifier and, if the exchange names
    /// one, the same resource. A second use answers [`Redemption::Reused`].
    pub async fn redeem(&self, secret: &str, exchange: CodeExchange<'_>) -> Result<Redemption> {
        let invalid = |why: &str| Error::AuthorizationCodeInvalid(why.to_owned());
        let mut record = self
            .load()
            .await?
            .ok_or_else(|| invalid("unknown or expired"))?;
        let Answer::Accepted {
            consent,
            code_hash,
            code_expires_at,
            redeemed,
        } = &mut record.answer
        else {
            return Err(invalid("unknown or expired"));
        };
        if !ct_eq(code_hash.as_bytes(), hash(secret).as_bytes()) {
            return Err(invalid("unknown or expired"));
        }
        if let Some(redeemed) = redeemed {
            redeemed.reused = true;
            let sid = redeemed.sid.clone();
            self.save(&record).await?;
            return Ok(Redemption::Reused { sid });
        }
        if self.clock.now() >= *code_expires_at {
            return Err(invalid("expired"));
        }
        let request = &record.request;
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
        // RFC 9449 §10: a key named at /authorize must sign the exchange.
        match (&request.dpop_jkt, exchange.proof_jkt) {
            (Some(_), None) => {
                return Err(Error::DpopProofInvalid(
                    "the authorization request named a key (dpop_jkt): the exchange needs a \
                     DPoP proof signed by it"
                        .into(),
                ))
            }
            (Some(named), Some(proof)) if named != proof => return Err(Error::DpopBindingMismatch),
            _ => {}
        }
        let granted = Redemption::Granted {
            request: Box::new(request.clone()),
            consent: consent.clone(),
        };
        *redeemed = Some(Redeemed {
            sid: None,
            reused: false,
        });
        self.save(&record).await?;
        Ok(granted)
    }

    /// Notes the session the code's first use started. Answers `false` when the code was
    /// used again meanwhile: the caller then revokes that session at once.
    pub async fn started(&self, sid: &str) -> Result<bool> {
        let mut record = self.load().await?.ok_or(Error::AuthorizationNotFound)?;
        let Answer::Accepted {
            redeemed: Some(redeemed),
            ..
        } = &mut record.answer
        else {
            return Err(Error::AuthorizationNotFound);
        };
        redeemed.sid = Some(sid.to_owned());
        let reused = redeemed.reused;
        self.save(&record).await?;
        Ok(!reused)
    }
}
