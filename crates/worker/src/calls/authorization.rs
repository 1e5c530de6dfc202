//! The calls to an authorization's object (`AuthorizationObject`, one per login challenge).

use edge_jwt_core::authorization::{
    Answerer, AuthorizationRequest, ClientOrigin, Consent, PendingView, Redemption,
};
use serde::{Deserialize, Serialize};

use super::{Namespace, ObjectCall};

/// Keeps a valid authorization request pending the user's answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct Begin {
    pub request: AuthorizationRequest,
    pub client_name: Option<String>,
    pub client_origin: ClientOrigin,
}

/// The pending request, for the app's consent screen.
#[derive(Debug, Serialize, Deserialize)]
pub struct Describe {}

/// The user consented; answers where to send the browser (with the code).
#[derive(Debug, Serialize, Deserialize)]
pub struct Accept {
    pub challenge: String,
    pub consent: Consent,
    /// Who answers (the app, within its scopes; or the demo), which bounds the answer.
    pub by: Answerer,
}

/// The user (or the app) refused; answers where to send the browser (with the error).
#[derive(Debug, Serialize, Deserialize)]
pub struct Reject {
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Redeems the code whose secret part is `secret`, once.
#[derive(Debug, Serialize, Deserialize)]
pub struct Redeem {
    pub secret: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub resource: Option<String>,
    pub proof_jkt: Option<String>,
}

/// Notes the session the code's first use started; `false`: it was used again meanwhile.
#[derive(Debug, Serialize, Deserialize)]
pub struct Started {
    pub sid: String,
}

object_calls! {
    /// What the Worker asks of an authorization's object.
    AuthorizationCall, crossing as AuthorizationCall, for Namespace::Authorizations,
    wrap: |call, _name| call;
    Begin => (),
    Describe => PendingView,
    Accept => String,
    Reject => String,
    Redeem => Redemption,
    Started => bool,
}
