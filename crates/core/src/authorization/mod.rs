//! The authorization code flow (RFC 6749 §4.1, OAuth 2.1) with PKCE, for clients the issuer does
//! not trust with a secret (CLIs, apps, SPAs, MCP clients): the request checked against its
//! client, the login handed to the user's app under a sealed challenge, the code redeemed once.
//! Every rule is here; the Worker adapts.

pub mod assertion;
pub mod client;
pub mod document;
pub mod document_url;
pub mod flow;
pub mod pkce;
pub mod redirect;
pub mod request;
pub mod seal;

pub use client::{ClientKeys, ClientOrigin, FlowClient, RegisteredClient, RegisteredClients};
pub use flow::{
    Answerer, Answers, CodeExchange, Consent, GrantedCode, Pending, PendingView, Redemption,
};
pub use request::{AuthorizationRequest, AuthorizeRefusal};
pub use seal::SealKey;
