//! The core's [`Store`] over a Durable Object's own (SQLite-backed) storage, with the expiry
//! every entry carries enforced on read and by the object's alarm.

use edge_jwt_core::{Clock, Store, StoreError};
use serde::{Deserialize, Serialize};
use worker::{ScheduledTime, Storage};

use crate::clock::WorkerClock;

/// A value and its expiry, as kept in the object's storage.
#[derive(Serialize, Deserialize)]
struct Entry {
    value: String,
    expires_at: u64,
}

pub struct ObjectStore(pub Storage);

fn at(seconds: u64) -> ScheduledTime {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(seconds as f64 * 1000.0));
    ScheduledTime::new(date)
}

impl Store for ObjectStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let entry: Option<Entry> = self
            .0
            .get(key)
            .await
            .map_err(|e| StoreError(format!("Durable Object get: {e}")))?;
        Ok(entry
            .filter(|e| e.expires_at > WorkerClock.now())
            .map(|e| e.value))
    }

    async fn put(&self, key: &str, value: &str, expires_at: u64) -> Result<(), StoreError> {
        let entry = Entry {
            value: value.to_owned(),
            expires_at,
        };
        self.0
            .put(key, entry)
            .await
            .map_err(|e| StoreError(format!("Durable Object put: {e}")))?;
        // The alarm runs at the earliest expiry it knows of and sets itself for the next one.
        let current = self
            .0
            .get_alarm()
            .await
            .map_err(|e| StoreError(format!("Durable Object alarm: {e}")))?;
        if current.is_none_or(|ms| ms > expires_at as i64 * 1000) {
            self.0
                .set_alarm(at(expires_at))
                .await
                .map_err(|e| StoreError(format!("Durable Object alarm: {e}")))?;
        }
        Ok(())
    }
}

/// The alarm: deletes what has expired and sets itself for the next expiry, so an object's
/// storage is empty once everything in it has expired.
pub async fn delete_expired(storage: &Storage) -> worker::Result<()> {
    let now = WorkerClock.now();
    let entries = storage.list().await?;
    let mut next: Option<u64> = None;
    for key in entries.keys() {
        let key = key?.as_string().unwrap_or_default();
        let entry: Option<Entry> = storage.get(&key).await?;
        match entry {
            Some(e) if e.expires_at > now => {
                next = Some(next.map_or(e.expires_at, |n| n.min(e.expires_at)))
            }
            _ => {
                storage.delete(&key).await?;
            }
        }
    }
    if let Some(next) = next {
        storage.set_alarm(at(next)).await?;
    }
    Ok(())
}
