//! What every Durable Object class shares, written once: the `{state, env}` struct, a `fetch`
//! that serves its typed calls, the alarm that deletes what expired, and the context each call
//! runs with (its bindings and its own storage).

use std::rc::Rc;

use worker::{Env, State};

use super::storage::ObjectStore;
use crate::bindings::Bindings;
use crate::calls::RemoteError;
use crate::settings::Settings;

/// What a call to an object runs with: the Worker's bindings and the object's own storage.
pub struct ObjectContext<'a> {
    pub bindings: Bindings<'a>,
    pub store: ObjectStore,
}

impl<'a> ObjectContext<'a> {
    pub fn new(state: &State, env: &'a Env) -> Self {
        ObjectContext {
            bindings: Bindings { env },
            store: ObjectStore(state.storage()),
        }
    }

    /// The issuer's settings (a failure is the issuer's fault, its description in the log).
    pub async fn settings(&self) -> Result<Rc<Settings>, RemoteError> {
        Ok(self.bindings.current_settings().await?)
    }
}

/// Declares a Durable Object class `$name` whose calls cross as `$call`, each answered by
/// `$name::run(ObjectContext, $call)`; `expiring` gives it the alarm that deletes what has
/// expired from its storage.
macro_rules! durable_object_class {
    ($(#[$doc:meta])* $name:ident serves $call:ty $(, $expiring:ident)?) => {
        $(#[$doc])*
        #[worker::durable_object]
        pub struct $name {
            state: worker::State,
            env: worker::Env,
        }

        impl worker::DurableObject for $name {
            fn new(state: worker::State, env: worker::Env) -> Self {
                $name { state, env }
            }

            async fn fetch(&self, req: worker::Request) -> worker::Result<worker::Response> {
                let context = $crate::objects::shell::ObjectContext::new(&self.state, &self.env);
                $crate::calls::serve(req, |call: $call| Self::run(context, call)).await
            }

            $(durable_object_class!(@alarm $expiring);)?
        }
    };
    (@alarm expiring) => {
        async fn alarm(&self) -> worker::Result<worker::Response> {
            $crate::objects::storage::delete_expired(&self.state.storage()).await?;
            worker::Response::empty()
        }
    };
}
pub(crate) use durable_object_class;
