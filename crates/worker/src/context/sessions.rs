//! Sessions, as the handlers start and end them: registered with the subject's object (which
//! dates them after any logout and makes room under the cap), started in their own, and a
//! subject logged out everywhere.

use edge_jwt_core::{NewSession, TokenPair};

use super::{Answer, Ctx};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::{Forget, LogOutEverywhere, Register, Start, StartOnce};
use crate::events::{Event, Subjects};
use crate::platform::Platform;

impl<P: Platform> Ctx<'_, P> {
    /// Registers the session with its subject (which dates it after any logout), then starts it
    /// in its own object; answers 201 with its first pair.
    pub(crate) async fn begin_session(&self, request: NewSession) -> Answer {
        let (_, pair) = self.start_registered(request).await?;
        Reply::json(201, &pair)
    }

    /// [`Ctx::begin_session`]'s work: the new session's id and its first pair.
    pub(crate) async fn start_registered(
        &self,
        request: NewSession,
    ) -> Result<(String, TokenPair), ApiError> {
        let sid = edge_jwt_core::random::new_id()?;
        let pair = self.start_named(&sid, request, false).await?;
        Ok((sid, pair))
    }

    /// Starts the session `sid` an authorization code names, once: a second use of the code
    /// registers nothing new, finds it started and ends it (`ERR_AUTHORIZATION_CODE_REUSED`).
    pub(crate) async fn start_session_once(
        &self,
        sid: &str,
        request: NewSession,
    ) -> Result<TokenPair, ApiError> {
        self.start_named(sid, request, true).await
    }

    /// Registers session `sid` with its subject, then starts it in its own object (`once`:
    /// only if it never started there).
    async fn start_named(
        &self,
        sid: &str,
        request: NewSession,
        once: bool,
    ) -> Result<TokenPair, ApiError> {
        // Refused before the subject's object is woken (the session's object checks again).
        request.validate()?;
        let sid = sid.to_owned();
        let register = Register {
            sid: sid.clone(),
            client_id: request.client_id.clone(),
        };
        let registered = self.call(&request.sub, register).await?;
        for evicted in &registered.evicted {
            let about = Subjects {
                sid: Some(evicted),
                sub: Some(&request.sub),
                ..Subjects::default()
            };
            self.event(Event::SessionEvicted, about);
        }
        let min_iat = registered.min_iat;
        let pair = if once {
            let start = StartOnce {
                sid: sid.clone(),
                request,
                min_iat,
            };
            self.call(&sid, start).await?
        } else {
            let start = Start {
                sid: sid.clone(),
                request,
                min_iat,
            };
            self.call(&sid, start).await?
        };
        Ok(pair)
    }

    /// Logs `sub` out everywhere: every session of the subject started before ends in its own
    /// object before this answers 204.
    pub(crate) async fn log_out_everywhere(&self, sub: &str) -> Answer {
        self.call(sub, LogOutEverywhere {}).await?;
        self.event(
            Event::SubjectLoggedOut,
            Subjects {
                sub: Some(sub),
                ..Subjects::default()
            },
        );
        Reply::empty(204)
    }

    /// Tells `sub`'s object that session `sid` ended in its own object. A failure is only
    /// logged: the session is over either way, and the subject forgets it by its refresh
    /// token's expiry at the latest.
    pub(crate) async fn forget(&self, sub: &str, sid: &str) {
        let call = Forget {
            sid: sid.to_owned(),
        };
        if let Err(err) = self.call(sub, call).await {
            let line = format!("edge-jwt: the subject could not forget session {sid}: {err:?}");
            self.platform.log(&line);
        }
    }
}
