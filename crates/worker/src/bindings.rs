//! The Worker's bindings, each by the name `wrangler.toml` gives it, and what the handlers and
//! the objects reach through them: the settings (`[vars]` and secrets), the Durable Objects,
//! the revocation list in KV, the per-address rate limit. Every binding name is here.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use edge_jwt_core::keyring::KeyRing;
use edge_jwt_core::{Clock as _, RevocationList};
use futures_util::StreamExt as _;
use worker::{Delay, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use crate::api::ApiError;
use crate::calls::Ring;
use crate::calls::{CallError, Namespace, ObjectCall, ObjectCaller, RemoteError, KEY_RING};
use crate::clock::WorkerClock;
use crate::kv::Kv;
use crate::platform::{FetchedDocument, Outgoing, Platform};
use crate::settings::keys::{KEY_ROTATION, RING_MAX_AGE};
use crate::settings::{Settings, NAMES};

/// How long a client metadata document may take to arrive, in seconds.
const DOCUMENT_TIMEOUT: u64 = 5;

/// The KV namespace holding the revocation list.
pub const KV: &str = "EDGE_JWT_KV";
/// The unauthenticated endpoints' per-address limit (`[[ratelimits]]`).
pub const RATE_LIMIT: &str = "EDGE_JWT_RATE_LIMIT";

/// The binding of each Durable Object class.
pub const fn namespace_binding(namespace: Namespace) -> &'static str {
    match namespace {
        Namespace::Sessions => "EDGE_JWT_SESSIONS",
        Namespace::Subjects => "EDGE_JWT_SUBJECTS",
        Namespace::Keys => "EDGE_JWT_KEYS",
    }
}

thread_local! {
    static SETTINGS: OnceCell<Result<Rc<Settings>, ApiError>> = const { OnceCell::new() };
    /// With managed keys: the settings built from the key ring, and when it was read (seconds).
    static KEYED: RefCell<Option<(u64, Rc<Settings>)>> = const { RefCell::new(None) };
    /// Whether `EDGE_JWT_KEY_ROTATION` is set: read once, like every setting.
    static MANAGED: OnceCell<bool> = const { OnceCell::new() };
}

/// Forgets this isolate's copy of the key ring: the next request reads it again (after this
/// isolate moved the ring itself: a rotation, a revoke).
pub fn forget_key_ring() {
    KEYED.with(|keyed| keyed.replace(None));
}

/// The Worker's bindings, for one request or one object's call.
#[derive(Clone, Copy)]
pub struct Bindings<'a> {
    pub env: &'a Env,
}

impl Bindings<'_> {
    /// Each setting by name: the Worker reads [`NAMES`] and nothing else.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            NAMES
                .contains(&name)
                .then(|| self.env.var(name).ok().map(|v| v.to_string()))
                .flatten()
        }
    }

    /// Whether the key object owns the signing keys (`EDGE_JWT_KEY_ROTATION` set).
    pub fn managed_keys(&self) -> bool {
        MANAGED.with(|managed| {
            *managed
                .get_or_init(|| self.lookup()(KEY_ROTATION).is_some_and(|v| !v.trim().is_empty()))
        })
    }

    /// The settings for this request. With static keys, [`Bindings::settings`]. With managed
    /// keys, the settings built from the key ring, which this isolate reads from the key object
    /// at most `RING_MAX_AGE` seconds before (so the JWKS and the signing key are at most that
    /// old here).
    pub async fn current_settings(&self) -> Result<Rc<Settings>, ApiError> {
        if !self.managed_keys() {
            return self.settings();
        }
        let now = WorkerClock.now();
        let cached = KEYED.with(|keyed| {
            keyed
                .borrow()
                .as_ref()
                .filter(|(read_at, _)| now < read_at + RING_MAX_AGE)
                .map(|(_, settings)| settings.clone())
        });
        if let Some(settings) = cached {
            return Ok(settings);
        }
        let ring: KeyRing = self.call(KEY_RING, Ring {}).await?;
        let settings = Rc::new(Settings::load_with(self.lookup(), Some((&ring, now)))?);
        KEYED.with(|keyed| keyed.replace(Some((now, settings.clone()))));
        Ok(settings)
    }

    /// [`Settings`] from the `Env`, once per isolate: a Worker's variables and secrets cannot
    /// change inside an isolate (a new deployment or secret starts new isolates), so no request
    /// after the first reads a variable or parses a key.
    pub fn settings(&self) -> Result<Rc<Settings>, ApiError> {
        SETTINGS.with(|cache| {
            cache
                .get_or_init(|| Settings::load(self.lookup()).map(Rc::new))
                .clone()
        })
    }

    /// The KV binding, as a store.
    pub fn kv_store(&self) -> Result<Kv, ApiError> {
        let kv = self
            .env
            .kv(KV)
            .map_err(|_| ApiError::misconfigured(KV, "is not bound"))?;
        Ok(Kv(kv))
    }

    /// The revocation list over the KV binding, for the Worker and its objects alike.
    pub fn revocation_list(&self, leeway: u64) -> Result<RevocationList<Kv>, ApiError> {
        Ok(RevocationList::new(self.kv_store()?, leeway))
    }
}

impl ObjectCaller for Bindings<'_> {
    async fn call<C: ObjectCall>(&self, name: &str, call: C) -> Result<C::Reply, CallError> {
        let binding = namespace_binding(C::NAMESPACE);
        let stub = self
            .env
            .durable_object(binding)
            .and_then(|ns| ns.id_from_name(name)?.get_stub())
            .map_err(|_| CallError::Unbound(binding))?;
        let transport = |e: &dyn std::fmt::Display| CallError::Transport(format!("{binding}: {e}"));
        let body = serde_json::to_string(&call.envelope(name)).map_err(|e| transport(&e))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request =
            Request::new_with_init("https://object.internal/", &init).map_err(|e| transport(&e))?;
        let mut response = stub
            .fetch_with_request(request)
            .await
            .map_err(|e| transport(&e))?;
        let result: Result<C::Reply, RemoteError> =
            response.json().await.map_err(|e| transport(&e))?;
        result.map_err(CallError::Remote)
    }
}

impl Platform for Bindings<'_> {
    type Kv = Kv;

    fn kv(&self) -> Result<Kv, ApiError> {
        self.kv_store()
    }

    /// Without the binding (a deployment that removed it), nothing is limited.
    async fn within_limit(&self, address: &str) -> Result<bool, ApiError> {
        let Ok(limiter) = self.env.rate_limiter(RATE_LIMIT) else {
            return Ok(true);
        };
        let outcome = limiter
            .limit(address.to_owned())
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
        Ok(outcome.success)
    }

    async fn fetch(&self, outgoing: &Outgoing, limit: usize) -> Result<FetchedDocument, ApiError> {
        let url = outgoing.url.as_str();
        let unreachable = |e: &dyn std::fmt::Display| {
            ApiError::invalid_request(format!("{url} could not be fetched: {e}"))
        };
        let mut init = RequestInit::new();
        let method = if outgoing.method == "POST" {
            Method::Post
        } else {
            Method::Get
        };
        init.with_method(method)
            .with_redirect(RequestRedirect::Manual);
        let headers = Headers::new();
        for (name, value) in &outgoing.headers {
            headers.set(name, value).map_err(|e| unreachable(&e))?;
        }
        if let Some(form) = &outgoing.form {
            headers
                .set("Content-Type", "application/x-www-form-urlencoded")
                .map_err(|e| unreachable(&e))?;
            init.with_body(Some(form.as_str().into()));
        }
        init.with_headers(headers);
        let request = Request::new_with_init(url, &init).map_err(|e| unreachable(&e))?;
        let fetched = async {
            let mut response = Fetch::Request(request).send().await?;
            let mut body = Vec::new();
            if let Ok(mut stream) = response.stream() {
                while let Some(chunk) = stream.next().await {
                    body.extend_from_slice(&chunk?);
                    if body.len() > limit {
                        break;
                    }
                }
            }
            let cache_control = response.headers().get("Cache-Control").ok().flatten();
            Ok::<_, worker::Error>(FetchedDocument {
                status: response.status_code(),
                body,
                cache_control,
            })
        };
        let timeout = Delay::from(std::time::Duration::from_secs(DOCUMENT_TIMEOUT));
        futures_util::pin_mut!(fetched);
        match futures_util::future::select(fetched, timeout).await {
            futures_util::future::Either::Left((result, _)) => result.map_err(|e| unreachable(&e)),
            futures_util::future::Either::Right(_) => Err(unreachable(&"no answer within 5 s")),
        }
    }

    fn now(&self) -> u64 {
        edge_jwt_core::Clock::now(&WorkerClock)
    }

    fn log(&self, line: &str) {
        worker::console_log!("{line}");
    }

    fn forget_key_ring(&self) {
        forget_key_ring();
    }
}
