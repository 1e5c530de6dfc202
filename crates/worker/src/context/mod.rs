//! What every handler gets with a request: its context (the settings, the runtime, the
//! client's address) and the steps handlers share: here client authentication and permissions,
//! the per-address limit, object calls, security events and reading a form; the clients of the
//! token and authorization endpoints (`clients`), sessions (`sessions`) and the login handoff
//! (`handoff`) in files of their own.

mod assertions;
mod clients;
mod discovery;
mod handoff;
mod key_sets;
mod published;
mod sessions;
mod trusted_issuers;
mod upstreams;

use edge_jwt_core::authorization::RegisteredClients;
use edge_jwt_core::client::Permission;
use edge_jwt_core::revocation::TokenIds;
use edge_jwt_core::RevocationList;

use crate::api::auth::permission_refused;
use crate::api::form::{self, Form};
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::{CallError, ObjectCall};
use crate::events::{self, Event, Subjects};
use crate::platform::Platform;
use crate::settings::clients::Client;
use crate::settings::Settings;

pub(crate) type Answer = Result<Reply, ApiError>;

const FORM: &str = "application/x-www-form-urlencoded";

/// The client of a token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClient {
    pub id: String,
    /// It proved a secret (a confidential client), rather than only naming itself.
    pub authenticated: bool,
}

/// One request's context: the settings, the runtime, the client's address.
pub struct Ctx<'a, P> {
    pub platform: &'a P,
    pub settings: &'a Settings,
    pub client_address: Option<String>,
}

impl<'a, P: Platform> Ctx<'a, P> {
    /// A typed call to the object named `name` (its failure turns into an `ApiError` with `?`).
    pub(crate) async fn call<C: ObjectCall>(
        &self,
        name: &str,
        call: C,
    ) -> Result<C::Reply, CallError> {
        self.platform.call(name, call).await
    }

    pub(crate) fn now(&self) -> u64 {
        self.platform.now()
    }

    /// The revocation list, its entries kept the verifiers' leeway past what they block.
    pub(crate) fn revocations(&self) -> Result<RevocationList<P::Kv>, ApiError> {
        let leeway = self.settings.issuer.policy().leeway;
        Ok(RevocationList::new(self.platform.kv()?, leeway))
    }

    /// A token's ids as the revocation list is asked about them: with static keys no signing
    /// key is ever revoked, so its entry is not read (one KV read fewer per check).
    pub(crate) fn revocation_ids<'t>(&self, ids: TokenIds<'t>) -> TokenIds<'t> {
        match self.settings.managed {
            Some(_) => ids,
            None => TokenIds { kid: None, ..ids },
        }
    }

    /// The clients that registered themselves (RFC 7591), kept in KV.
    pub(crate) fn registered_clients(&self) -> Result<RegisteredClients<P::Kv>, ApiError> {
        Ok(RegisteredClients(self.platform.kv()?))
    }

    /// A trusted client, from `Authorization: Basic` (a failure is logged as an event).
    pub(crate) fn authenticate<B>(&self, req: &Incoming<B>) -> Result<String, ApiError> {
        self.settings
            .clients
            .authenticate(req.header("Authorization"))
            .inspect_err(|_| self.event(Event::ClientAuthenticationFailed, Subjects::default()))
    }

    /// A trusted client with `permission` (a refusal is logged as an event naming it).
    pub(crate) fn authorize<B>(
        &self,
        req: &Incoming<B>,
        permission: Permission,
    ) -> Result<(String, &'a Client), ApiError> {
        let id = self.authenticate(req)?;
        self.permitted(id, permission)
    }

    /// [`Ctx::authorize`] for an endpoint with a form body, where a client may also
    /// authenticate as at `/token`: `client_secret_post`, or a signed assertion.
    pub(crate) async fn authorize_form<B>(
        &self,
        req: &Incoming<B>,
        form: &Form,
        permission: Permission,
    ) -> Result<(String, &'a Client), ApiError> {
        if form.get("client_assertion_type").is_none() && form.get("client_secret").is_none() {
            return self.authorize(req, permission);
        }
        match self.token_client(req, form).await? {
            Some(client) if client.authenticated => self.permitted(client.id, permission),
            _ => Err(ApiError::invalid_client()),
        }
    }

    /// The authenticated client `id`, if it is a configured one with `permission`.
    fn permitted(
        &self,
        id: String,
        permission: Permission,
    ) -> Result<(String, &'a Client), ApiError> {
        let settings: &'a Settings = self.settings;
        match settings
            .clients
            .get(&id)
            .filter(|c| c.rules.may(permission))
        {
            Some(client) => Ok((id, client)),
            None => {
                let about = Subjects {
                    client_id: Some(&id),
                    permission: Some(permission.name()),
                    ..Subjects::default()
                };
                self.event(Event::ClientPermissionRefused, about);
                Err(permission_refused(permission, &id))
            }
        }
    }

    /// The DPoP nonces the issuer takes now (its current one first), when it asks for them
    /// (`EDGE_JWT_DPOP_NONCE=on`).
    pub(crate) fn dpop_nonces(&self) -> Option<[String; 2]> {
        (self.settings.dpop_nonce).then(|| self.settings.seal.dpop_nonces(self.now()))
    }

    /// The unauthenticated endpoints' limit per client address.
    pub(crate) async fn limit(&self) -> Result<(), ApiError> {
        let address = self.client_address.as_deref().unwrap_or("unknown");
        if self.platform.within_limit(address).await? {
            Ok(())
        } else {
            Err(ApiError::too_many_requests("60"))
        }
    }

    pub(crate) fn event(&self, event: Event, about: Subjects<'_>) {
        log_event(self.platform, event, about, self.client_address.as_deref());
    }
}

/// Writes a security event's line to the platform's log (a request's, or with no address the
/// Cron Trigger's).
pub(crate) fn log_event<P: Platform>(
    platform: &P,
    event: Event,
    about: Subjects<'_>,
    client_address: Option<&str>,
) {
    if let Some(line) = events::line(event, about, client_address, platform.now()) {
        platform.log(&line);
    }
}

pub(crate) async fn read_form<B: Body>(req: &mut Incoming<B>) -> Result<Form, ApiError> {
    form::require_media_type(req.header("Content-Type"), FORM)?;
    Form::parse(&req.body.read().await?)
}
