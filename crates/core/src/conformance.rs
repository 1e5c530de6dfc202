//! The contract every [`Store`] implementation keeps, as one suite each implementation runs
//! against itself: the in-memory store in the core's tests, Workers KV and a Durable Object's
//! storage inside the Worker (end-to-end tests ask the Worker to run it).
//!
//! What the rules rely on: a key's latest value comes back exactly (any text, any length the
//! rules write), distinct keys never share a value, and an entry is there until its expiry.
//! What they do not rely on, so it is not checked: an entry vanishing at its expiry.

use crate::store::Store;

/// Runs the contract against `store` at time `now` (seconds), with keys under `prefix` (each
/// run its own, so runs never see each other's entries). `Err` names the first broken rule.
pub async fn check_store<S: Store>(store: &S, now: u64, prefix: &str) -> Result<(), String> {
    let key = |name: &str| format!("{prefix}:{name}");
    let until = now + 3600;
    let get = |k: String| async move {
        store
            .get(&k)
            .await
            .map_err(|e| format!("get {k} failed: {e}"))
    };
    let put = |k: String, v: String| async move {
        store
            .put(&k, &v, until)
            .await
            .map_err(|e| format!("put {k} failed: {e}"))
    };
    let same = |what: &str, got: Option<String>, want: Option<&str>| {
        if got.as_deref() == want {
            Ok(())
        } else {
            Err(format!("{what}: got {got:?}, want {want:?}"))
        }
    };

    same("a key never written", get(key("missing")).await?, None)?;

    put(key("one"), "first".into()).await?;
    same("a value written", get(key("one")).await?, Some("first"))?;
    put(key("one"), "second".into()).await?;
    same(
        "a value overwritten",
        get(key("one")).await?,
        Some("second"),
    )?;

    // What the rules store: JSON records with quotes, escapes and any Unicode, up to a few KiB.
    let text = format!(
        "{{\"sub\":\"Zoë \\\"ann\\\" 日本 🦀\",\"claims\":\"{}\",\"tab\":\"\\t\"}}",
        "x".repeat(4096)
    );
    put(key("json"), text.clone()).await?;
    same("a long JSON value", get(key("json")).await?, Some(&text))?;

    // Keys that differ only in characters a store might fold or escape stay distinct.
    let keys = [
        "a:b", "a/b", "a%2Fb", "a b", "a+b", "A:B", "ä:b", "a:b:", "a::b",
    ];
    for (i, k) in keys.iter().enumerate() {
        put(key(k), format!("value {i}")).await?;
    }
    for (i, k) in keys.iter().enumerate() {
        let want = format!("value {i}");
        same(&format!("key {k:?}"), get(key(k)).await?, Some(&want))?;
    }

    // A long key (a subject of 256 bytes inside a revocation key).
    let long = key(&format!("revoked:sub:{}", "s".repeat(256)));
    put(long.clone(), "1".into()).await?;
    same("a long key", get(long).await?, Some("1"))?;
    Ok(())
}
