//! Dynamic client registration (RFC 7591), when `EDGE_JWT_REGISTRATION=open`: a client
//! registers its redirect URIs and is usable at once. Limited per address.

use edge_jwt_core::authorization::{document_url, RegisteredClient};
use edge_jwt_core::Error;

use crate::api::form;
use crate::api::incoming::{Body, Incoming};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::context::{Answer, Ctx};
use crate::events::{Event, Subjects};
use crate::platform::Platform;
use crate::settings::ClientDocuments;

/// `POST /register`: 201 with the client's id, its metadata as stored and, for a confidential
/// client, its secret (this once).
pub(crate) async fn register<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Answer {
    if !ctx.settings.registration_open {
        return Err(ApiError::new(
            404,
            "not_found",
            "registration is off: set EDGE_JWT_REGISTRATION=open",
        ));
    }
    ctx.limit().await?;
    form::require_media_type(req.header("Content-Type"), "application/json")?;
    let metadata: serde_json::Value = serde_json::from_slice(&req.body.read().await?)
        .map_err(|_| Error::InvalidClientMetadata("the body must be a JSON object".into()))?;
    let (client, secret) = RegisteredClient::register(&metadata, ctx.now())?;
    // A `jwks_uri` is fetched as documents are: only from where a document could be.
    if let Some(uri) = &client.jwks_uri {
        let loopback = ctx.settings.client_documents == ClientDocuments::Loopback;
        document_url::check(uri, loopback).map_err(|why| {
            Error::InvalidClientMetadata(format!("jwks_uri cannot be fetched: {why}"))
        })?;
    }
    ctx.registered_clients()?.save(&client).await?;
    let about = Subjects {
        client_id: Some(&client.client_id),
        ..Subjects::default()
    };
    ctx.event(Event::ClientRegistered, about);
    Reply::json(201, &client.answer(secret.as_deref()))
}
