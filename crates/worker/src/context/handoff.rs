//! The login handoff's steps (Ory Hydra's shape), for the app's back end (`authorize.rs`) and
//! the demo's consent page (`demo.rs`) alike: each handler guards and parses, then takes one of
//! these, so the two never drift.

use edge_jwt_core::authorization::{Answerer, Consent};

use super::{Answer, Ctx};
use crate::api::reply::Reply;
use crate::api::responses;
use crate::calls::{Accept, Describe, Reject};
use crate::platform::Platform;

impl<P: Platform> Ctx<'_, P> {
    /// The pending authorization `challenge`, for a consent screen; 404 when unknown, expired
    /// or answered.
    pub(crate) async fn pending_authorization(&self, challenge: &str) -> Answer {
        Reply::json(200, &self.call(challenge, Describe {}).await?)
    }

    /// Accepts `challenge` for `consent`, within what `by` may grant; answers
    /// `{"redirect_to"}` with the code. Answered once.
    pub(crate) async fn accept_authorization(
        &self,
        challenge: &str,
        consent: Consent,
        by: Answerer,
    ) -> Answer {
        let accept = Accept {
            challenge: challenge.to_owned(),
            consent,
            by,
        };
        let to = self.call(challenge, accept).await?;
        Reply::json(200, &responses::redirect_to(&to))
    }

    /// Rejects `challenge` with `error` (default `access_denied`); answers `{"redirect_to"}`
    /// with it. Answered once.
    pub(crate) async fn reject_authorization(
        &self,
        challenge: &str,
        error: Option<String>,
        error_description: Option<String>,
    ) -> Answer {
        let reject = Reject {
            error,
            error_description,
        };
        let to = self.call(challenge, reject).await?;
        Reply::json(200, &responses::redirect_to(&to))
    }
}
