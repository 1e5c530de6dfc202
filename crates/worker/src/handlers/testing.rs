//! The end-to-end tests' hook (only when `EDGE_JWT_STORE_CONFORMANCE` turns it on).

use serde_json::json;

use crate::api::reply::Reply;
use crate::calls::StoreConformance;
use crate::context::{Answer, Ctx};
use crate::platform::Platform;

/// `POST /test/store-conformance` (tests only): the core's store contract, run against the
/// deployed stores themselves: Workers KV here, and a Durable Object's storage in the object.
pub(crate) async fn store_conformance<P: Platform>(ctx: &Ctx<'_, P>) -> Answer {
    let run = edge_jwt_core::random::new_id()?;
    let prefix = format!("conformance:{run}");
    let kv = edge_jwt_core::conformance::check_store(&ctx.platform.kv()?, ctx.now(), &prefix)
        .await
        .err();
    let call = StoreConformance {
        prefix: prefix.clone(),
    };
    let object = ctx.call(&prefix, call).await?;
    Reply::json(200, &json!({ "kv": kv, "durable_object": object }))
}
