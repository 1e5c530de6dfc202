//! The login handoff's steps (Ory Hydra's shape), for the app's back end (`authorize.rs`) and
//! the demo's consent page (`demo.rs`) alike: each handler guards and parses, then takes one of
//! these, so the two never drift. The challenge carries the pending request sealed; only its
//! one answer is recorded, in the object of the session its code will start.

use edge_jwt_core::authorization::{Answerer, Consent, Pending};
use edge_jwt_core::Error;

use super::{Answer, Ctx};
use crate::api::reply::Reply;
use crate::api::responses;
use crate::calls::{RecordAnswer, WasAnswered};
use crate::platform::Platform;

impl<P: Platform> Ctx<'_, P> {
    /// The pending authorization a challenge carries: 404 when it is not one of this issuer's
    /// or has expired (whether it was answered is its object's to say).
    pub(crate) fn open_pending(&self, challenge: &str) -> Result<Pending, crate::api::ApiError> {
        Ok(Pending::open(&self.settings.seal, challenge, self.now())?)
    }

    /// Whether `pending` was answered already (its object records the one answer).
    pub(crate) async fn was_answered(
        &self,
        pending: &Pending,
    ) -> Result<bool, crate::api::ApiError> {
        Ok(self.call(&pending.id, WasAnswered {}).await?)
    }

    /// The pending authorization `challenge`, for a consent screen; 404 when unknown, expired
    /// or answered.
    pub(crate) async fn pending_authorization(&self, challenge: &str) -> Answer {
        let pending = self.open_pending(challenge)?;
        if self.was_answered(&pending).await? {
            return Err(Error::AuthorizationNotFound.into());
        }
        Reply::json(200, &pending.view())
    }

    /// Accepts `challenge` for `consent`, within what `by` may grant; answers
    /// `{"redirect_to"}` with the code. Answered once: checked first, then recorded, so a
    /// refused answer leaves the challenge pending and a second answer is 404.
    pub(crate) async fn accept_authorization(
        &self,
        challenge: &str,
        consent: Consent,
        by: Answerer,
    ) -> Answer {
        let to = self.accept_to(challenge, consent, by).await?;
        Reply::json(200, &responses::redirect_to(&to))
    }

    /// [`Ctx::accept_authorization`]'s steps: where to send the browser (with the code).
    pub(crate) async fn accept_to(
        &self,
        challenge: &str,
        consent: Consent,
        by: Answerer,
    ) -> Result<String, crate::api::ApiError> {
        let pending = self.open_pending(challenge)?;
        let issuer = &self.settings.issuer.policy().issuer;
        let to = pending.accept(consent, &by, &self.settings.seal, issuer, self.now())?;
        self.record_answer(&pending).await?;
        Ok(to)
    }

    /// Rejects `challenge` with `error` (default `access_denied`); answers `{"redirect_to"}`
    /// with it. Answered once, as an acceptance is.
    pub(crate) async fn reject_authorization(
        &self,
        challenge: &str,
        error: Option<String>,
        error_description: Option<String>,
    ) -> Answer {
        let to = self
            .reject_to(challenge, error.as_deref(), error_description.as_deref())
            .await?;
        Reply::json(200, &responses::redirect_to(&to))
    }

    /// [`Ctx::reject_authorization`]'s steps: where to send the browser (with the error).
    pub(crate) async fn reject_to(
        &self,
        challenge: &str,
        error: Option<&str>,
        error_description: Option<&str>,
    ) -> Result<String, crate::api::ApiError> {
        let pending = self.open_pending(challenge)?;
        let issuer = &self.settings.issuer.policy().issuer;
        let to = pending.reject(error, error_description, issuer)?;
        self.record_answer(&pending).await?;
        Ok(to)
    }

    async fn record_answer(&self, pending: &Pending) -> Result<(), crate::api::ApiError> {
        let record = RecordAnswer {
            expires_at: pending.expires_at,
        };
        Ok(self.call(&pending.id, record).await?)
    }
}
