//! The revocation list read from a Workers KV namespace binding (any object whose `get(key)`
//! returns a promise of a string or null), for `verifyNotRevoked`.

use edge_jwt_core::{Store, StoreError};
use wasm_bindgen::{JsCast, JsValue};

pub struct KvNamespace(pub JsValue);

impl Store for KvNamespace {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let failed = |e: JsValue| {
            StoreError(format!(
                "KV get failed: {}",
                e.as_string().unwrap_or_else(|| "non-string error".into())
            ))
        };
        let get = js_sys::Reflect::get(&self.0, &JsValue::from_str("get"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(|| StoreError("the KV binding has no get()".into()))?;
        let result = get
            .call1(&self.0, &JsValue::from_str(key))
            .map_err(failed)?;
        let value = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&result))
            .await
            .map_err(failed)?;
        if value.is_null() || value.is_undefined() {
            Ok(None)
        } else {
            value
                .as_string()
                .map(Some)
                .ok_or_else(|| StoreError("KV get returned a non-string".into()))
        }
    }

    async fn put(&self, _key: &str, _value: &str, _expires_at: u64) -> Result<(), StoreError> {
        Err(StoreError(
            "the verifier never writes the revocation list".into(),
        ))
    }
}
