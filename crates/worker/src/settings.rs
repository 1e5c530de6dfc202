//! Loading [`Settings`] from the Worker's `Env`, once per isolate: a Worker's variables and
//! secrets cannot change inside an isolate (a new deployment or secret starts new isolates), so
//! no request after the first reads a variable or parses a key.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::api::settings::{Settings, NAMES};
use crate::api::ApiError;

thread_local! {
    static CACHE: OnceCell<Result<Rc<Settings>, ApiError>> = const { OnceCell::new() };
}

pub fn load(env: &Env) -> Result<Rc<Settings>, ApiError> {
    CACHE.with(|cache| {
        cache
            .get_or_init(|| {
                Settings::load(|name| {
                    NAMES
                        .contains(&name)
                        .then(|| env.var(name).ok().map(|v| v.to_string()))
                        .flatten()
                })
                .map(Rc::new)
            })
            .clone()
    })
}
