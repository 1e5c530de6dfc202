//! The managed signing keys' endpoints, for a client with the `keys` permission: every key with
//! its state and times (never key material), a rotation on demand, and the revoke that stops a
//! leaked key at once. With static keys (`EDGE_JWT_KEY_ROTATION` unset) they answer 404.

use edge_jwt_core::client::Permission;
use edge_jwt_core::keyring::{KeyRing, ManagedKey};
use serde_json::{json, Value};

use crate::api::incoming::Incoming;
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::KEY_RING;
use crate::calls::{KeyMoves, RevokeKey, Ring, Rotate};
use crate::context::{log_event, Answer, Ctx};
use crate::events::{Event, Subjects};
use crate::platform::Platform;
use crate::settings::keys::ManagedKeys;

/// `GET /keys`: every managed key, its state, `alg` and the times of its transitions.
pub(crate) async fn list<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.authorize(&req, Permission::Keys)?;
    managed(ctx)?;
    let ring: KeyRing = ctx.call(KEY_RING, Ring {}).await?;
    Reply::json(200, &summary(&ring))
}

/// `POST /keys/rotate`: the next key signs now, once it has been published long enough.
pub(crate) async fn rotate<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    ctx.authorize(&req, Permission::Keys)?;
    managed(ctx)?;
    let moved: KeyMoves = ctx.call(KEY_RING, Rotate {}).await?;
    ctx.platform.forget_key_ring();
    report(ctx.platform, ctx.client_address.as_deref(), &moved);
    Reply::json(200, &summary(&moved.ring))
}

/// `POST /keys/{kid}/revoke`: the revocation list refuses the key's tokens at once (the
/// package's `verifyNotRevoked`, and the issuer's own refreshes), then the key leaves the JWKS
/// and the next key signs in its place.
pub(crate) async fn revoke<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    kid: &str,
) -> Answer {
    ctx.authorize(&req, Permission::Keys)?;
    let managed = managed(ctx)?;
    let now = ctx.now();
    // The list first: a retry after a failure here finds the key still in the ring.
    ctx.revocations()?
        .revoke_key(kid, now + managed.rotation.refresh_window, now)
        .await?;
    let moved: KeyMoves = ctx
        .call(
            KEY_RING,
            RevokeKey {
                kid: kid.to_owned(),
            },
        )
        .await?;
    ctx.platform.forget_key_ring();
    report(ctx.platform, ctx.client_address.as_deref(), &moved);
    Reply::json(200, &summary(&moved.ring))
}

fn managed<'a, P: Platform>(ctx: &Ctx<'a, P>) -> Result<&'a ManagedKeys, ApiError> {
    let settings: &'a crate::settings::Settings = ctx.settings;
    settings.managed.as_ref().ok_or_else(ApiError::not_found)
}

fn summary(ring: &KeyRing) -> Value {
    json!({ "keys": ring.keys.iter().map(ManagedKey::summary).collect::<Vec<_>>() })
}

/// A security event for each key that started signing or was revoked (a request's, or the
/// Cron Trigger's with no client address).
pub(crate) fn report<P: Platform>(platform: &P, client_address: Option<&str>, moved: &KeyMoves) {
    for step in &moved.moves {
        let event = match step.to.as_str() {
            "current" => Event::SigningKeyRotated,
            "revoked" => Event::SigningKeyRevoked,
            _ => continue,
        };
        let about = Subjects {
            kid: Some(&step.kid),
            ..Subjects::default()
        };
        log_event(platform, event, about, client_address);
    }
}
