//! `EDGE_JWT_CLIENT_METADATA_DOCUMENTS`: which client metadata documents the issuer fetches.

use edge_jwt_core::authorization::document_url;

/// Which client metadata documents the issuer fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientDocuments {
    Off,
    /// `https` URLs.
    On,
    /// `https` URLs and `http://127.0.0.1` ones: never in production.
    Loopback,
}

impl ClientDocuments {
    /// Whether `client_id` is meant as a document URL under this setting (then it is a
    /// document's, checked by [`ClientDocuments::check`], or no client at all).
    pub fn accepts(self, client_id: &str) -> bool {
        match self {
            ClientDocuments::Off => false,
            ClientDocuments::On => document_url::names_document(client_id, false),
            ClientDocuments::Loopback => document_url::names_document(client_id, true),
        }
    }

    /// Refuses, saying why, a document URL the issuer does not fetch (`document_url::check`).
    pub fn check(self, url: &str) -> Result<(), &'static str> {
        document_url::check(url, self == ClientDocuments::Loopback)
    }
}
