//! Loading [`Settings`] from the Worker's `Env`, parsed once per isolate for as long as the
//! values stay the same (a key set is not re-parsed on every request).

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use crate::api::settings::{self as names, Settings};
use crate::api::ApiError;

const NAMES: [&str; 11] = [
    names::ISSUER,
    names::AUDIENCE,
    names::ACCESS_TTL,
    names::REFRESH_TTL,
    names::SESSION_MAX,
    names::REUSE_GRACE,
    names::LEEWAY,
    names::CORS_ORIGINS,
    names::DEMO_LOGIN,
    names::SIGNING_KEYS,
    names::CLIENTS,
];

/// The raw values the cached settings were parsed from, and the settings.
type Cached = Option<(Vec<Option<String>>, Rc<Settings>)>;

thread_local! {
    static CACHE: RefCell<Cached> = const { RefCell::new(None) };
}

pub fn load(env: &Env) -> Result<Rc<Settings>, ApiError> {
    let values: Vec<Option<String>> = NAMES
        .iter()
        .map(|name| env.var(name).ok().map(|v| v.to_string()))
        .collect();
    if let Some(settings) = CACHE.with_borrow(|cache| {
        cache
            .as_ref()
            .filter(|(cached, _)| *cached == values)
            .map(|(_, settings)| settings.clone())
    }) {
        return Ok(settings);
    }
    let settings = Rc::new(Settings::load(|name| {
        NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| values[i].clone())
    })?);
    CACHE.with_borrow_mut(|cache| *cache = Some((values, settings.clone())));
    Ok(settings)
}
