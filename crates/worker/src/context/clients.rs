//! The clients of the token and authorization endpoints: who a request's client is, found by
//! id (configured, registered, or a metadata document's) or authenticated (HTTP Basic, or a
//! public client naming itself).

use std::cell::RefCell;

use edge_jwt_core::authorization::document;
use edge_jwt_core::authorization::document_url::host_of;
use edge_jwt_core::authorization::FlowClient;
use edge_jwt_core::Error;

use super::published::Kept;
use super::{Ctx, TokenClient};
use crate::api::auth::basic_credentials;
use crate::api::form::Form;
use crate::api::incoming::Incoming;
use crate::api::ApiError;
use crate::events::{Event, Subjects};
use crate::platform::Platform;
use crate::settings::clients::Client;
use crate::settings::ClientDocuments;

/// Client metadata documents fetched by this isolate, each until its `Cache-Control` ends.
const MAX_DOCUMENTS: usize = 256;
thread_local! {
    static DOCUMENTS: RefCell<Kept<FlowClient>> = RefCell::new(Kept::new(MAX_DOCUMENTS));
}

impl<P: Platform> Ctx<'_, P> {
    /// A client of the authorization code flow by id: a configured one with redirect URIs, or
    /// one registered (RFC 7591, in KV), or a metadata document's; its scopes bounded by what
    /// the operator allows.
    pub(crate) async fn flow_client(
        &self,
        client_id: &str,
    ) -> Result<Option<FlowClient>, ApiError> {
        let client = self.unbounded_flow_client(client_id).await?;
        // The scopes the issuer grants at all (`EDGE_JWT_SCOPES`).
        Ok(match &self.settings.scopes {
            Some(scopes) => client.map(|c| c.bounded_by(scopes)),
            None => client,
        })
    }

    /// [`Ctx::flow_client`] before the issuer's own bound.
    async fn unbounded_flow_client(&self, client_id: &str) -> Result<Option<FlowClient>, ApiError> {
        if let Some(client) = self.settings.clients.get(client_id) {
            return Ok((!client.redirect_uris.is_empty()).then(|| client.flow_client(client_id)));
        }
        let documents = self.settings.client_documents;
        let client = if documents.accepts(client_id) {
            let own_host = host_of(&self.settings.issuer.policy().issuer);
            let refused = match documents.check(client_id) {
                Err(why) => Some(why),
                Ok(()) if host_of(client_id) == own_host => Some("it is on the issuer's own host"),
                Ok(()) => None,
            };
            if let Some(why) = refused {
                return Err(ApiError::invalid_request(format!(
                    "client_id {client_id:?} is not a client metadata document URL this issuer \
                     fetches: {why}"
                )));
            }
            Some(self.document_client(client_id).await?)
        } else {
            let registered = self.registered_clients()?.load(client_id).await?;
            registered.map(|c| c.flow_client())
        };
        // The operator's bound on what a client it did not configure may ask for.
        Ok(match &self.settings.registered_scopes {
            Some(bound) => client.map(|c| c.bounded_by(bound)),
            None => client,
        })
    }

    /// The client a client metadata document describes: fetched (no redirect, a timeout, 5 KiB)
    /// and kept in this isolate within its `Cache-Control`, at most a day. Whatever went wrong
    /// is one answer to the caller (what answered at the URL is no one's business but the
    /// operator's) and a `client_document_refused` event with the reason.
    async fn document_client(&self, url: &str) -> Result<FlowClient, ApiError> {
        let now = self.now();
        if let Some(client) = DOCUMENTS.with(|d| d.borrow().get(url, now)) {
            return Ok(client);
        }
        let (client, keep) = match self.read_document(url).await {
            Ok(read) => read,
            Err(why) => {
                let about = Subjects {
                    client_id: Some(url),
                    reason: Some(&why),
                    ..Subjects::default()
                };
                self.event(Event::ClientDocumentRefused, about);
                return Err(ApiError::invalid_request(format!(
                    "the client metadata document at {url} could not be fetched or is not a \
                     valid public client's: the issuer's log says why"
                )));
            }
        };
        if keep > 0 {
            DOCUMENTS.with(|d| d.borrow_mut().keep(url, client.clone(), now + keep));
        }
        Ok(client)
    }

    /// The client a document describes and how long it may be kept, or why not.
    async fn read_document(&self, url: &str) -> Result<(FlowClient, u64), String> {
        let published = self.fetch_published(url, document::MAX_DOCUMENT).await?;
        let loopback = self.settings.client_documents == ClientDocuments::Loopback;
        let client = document::client(url, &published.body, loopback).map_err(|e| e.to_string())?;
        Ok((client, published.max_age))
    }

    /// The client that authenticated at the token endpoint (RFC 6749 §2.3.1): with HTTP Basic,
    /// with `client_id` and `client_secret` in the body (`client_secret_post`), or with a signed
    /// assertion (`private_key_jwt`), one method only;
    /// `None` when it sent no secret. A secret that is wrong, or sent by a client that has none
    /// (a public client), is `invalid_client`, before anything is used up.
    pub(crate) async fn token_client<B>(
        &self,
        req: &Incoming<B>,
        form: &Form,
    ) -> Result<Option<TokenClient>, ApiError> {
        if let Some(client) = self.assertion_client(req, form).await? {
            return Ok(Some(client));
        }
        let Some(secret) = form.get("client_secret") else {
            return self.basic_client(req).await;
        };
        let refused = || {
            self.event(Event::ClientAuthenticationFailed, Subjects::default());
            Err(ApiError::invalid_client())
        };
        if req.header("Authorization").is_some() {
            return refused(); // one method at a time (RFC 6749 §2.3)
        }
        let id = form.require("client_id")?;
        match self.secret_client(id, secret).await? {
            Some(client) => Ok(Some(client)),
            None => refused(),
        }
    }

    /// A client authenticating at the token endpoint with HTTP Basic (RFC 6749 §2.3.1): a
    /// configured one, or one registered with a secret. `None` without the header.
    pub(crate) async fn basic_client<B>(
        &self,
        req: &Incoming<B>,
    ) -> Result<Option<TokenClient>, ApiError> {
        let header = req.header("Authorization");
        if header.is_none() {
            return Ok(None);
        }
        let client = match basic_credentials(header) {
            Some((id, secret)) => self.secret_client(&id, &secret).await?,
            None => None,
        };
        if client.is_none() {
            self.event(Event::ClientAuthenticationFailed, Subjects::default());
            return Err(ApiError::invalid_client());
        }
        Ok(client)
    }

    /// The client whose secret `secret` is: a configured one, or one registered with a secret.
    async fn secret_client(&self, id: &str, secret: &str) -> Result<Option<TokenClient>, ApiError> {
        let known = self.settings.clients.verify(id, secret)
            || self
                .registered_clients()?
                .load(id)
                .await?
                .is_some_and(|client| client.secret_matches(secret));
        Ok(known.then(|| TokenClient {
            id: id.to_owned(),
            authenticated: true,
        }))
    }

    /// The configured client (`EDGE_JWT_CLIENTS`) that authenticated as `client`, with its id:
    /// what a grant for configured clients only takes; `invalid_client` otherwise.
    pub(crate) fn configured_client(
        &self,
        client: Option<TokenClient>,
    ) -> Result<(String, &Client), ApiError> {
        client
            .filter(|c| c.authenticated)
            .and_then(|c| Some((self.settings.clients.get(&c.id)?, c.id)))
            .map(|(configured, id)| (id, configured))
            .ok_or_else(ApiError::invalid_client)
    }

    /// `client` when one authenticated, otherwise a public client naming itself (RFC 6749
    /// §3.2.1), or none.
    pub(crate) async fn or_public_client(
        &self,
        client: Option<TokenClient>,
        form: &Form,
    ) -> Result<Option<TokenClient>, ApiError> {
        match client {
            Some(client) => Ok(Some(client)),
            None => self.public_client(form).await,
        }
    }

    /// A public client naming itself with `client_id` (RFC 6749 §3.2.1): one registered
    /// without a secret. A client with a secret must authenticate with it.
    pub(crate) async fn public_client(&self, form: &Form) -> Result<Option<TokenClient>, ApiError> {
        let Some(id) = form.get("client_id") else {
            return Ok(None);
        };
        // A document's public client: its code is bound to the URL it was issued to. One that
        // signs assertions must send one.
        if self.settings.client_documents.accepts(id) {
            if self.flow_client(id).await?.is_some_and(|c| !c.public) {
                self.event(Event::ClientAuthenticationFailed, Subjects::default());
                return Err(Error::ClientAssertionInvalid(
                    "this client authenticates with private_key_jwt: send a client_assertion"
                        .into(),
                )
                .into());
            }
            return Ok(Some(TokenClient {
                id: id.to_owned(),
                authenticated: false,
            }));
        }
        match self.registered_clients()?.load(id).await? {
            Some(client) if client.flow_client().public => Ok(Some(TokenClient {
                id: id.to_owned(),
                authenticated: false,
            })),
            _ => {
                self.event(Event::ClientAuthenticationFailed, Subjects::default());
                Err(ApiError::invalid_client())
            }
        }
    }
}
