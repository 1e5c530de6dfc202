//! `KeyObject`: the one Durable Object that owns the managed signing keys (`EDGE_JWT_KEY_ROTATION`
//! set). Its calls are serialized, so two Cron runs at once, or a run and a revoke, never move
//! the ring twice; the private halves are stored only wrapped (the core's `keyring::wrap`).

use edge_jwt_core::keyring::{Generator, KeyRing, Transition};
use edge_jwt_core::{Clock, Error, Store};

use super::shell::{durable_object_class, ObjectContext};
use crate::calls::{Answered, KeyCall, KeyMoves, ObjectCall, RevokeKey, Ring, Rotate, Step};
use crate::clock::WorkerClock;
use crate::settings::keys::ManagedKeys;
use crate::settings::load_policy;

/// Where the ring is kept in the object's storage.
const RING: &str = "ring";
/// The ring is written again on every change; this only keeps the storage's expiry away.
const KEEP: u64 = 10 * 365 * 86_400;

// No alarm: the ring is rewritten on every change, far from its expiry.
durable_object_class!(KeyObject serves KeyCall);

impl KeyObject {
    async fn run(context: ObjectContext<'_>, call: KeyCall) -> Answered {
        // Not the issuer's settings: they are built from the ring this object answers.
        let lookup = context.bindings.lookup();
        let policy = load_policy(&lookup)?;
        let managed = ManagedKeys::load(&lookup, &policy)?
            .ok_or_else(|| Error::Internal("EDGE_JWT_KEY_ROTATION is not set".into()))?;
        answer(call, &context.store, &managed, WorkerClock.now()).await
    }
}

/// One call to the key object, over its store: the ring read, moved by the core, written back.
pub async fn answer<S: Store>(
    call: KeyCall,
    store: &S,
    managed: &ManagedKeys,
    now: u64,
) -> Answered {
    let mut ring: KeyRing = match store.get(RING).await.map_err(Error::from)? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::Internal(format!("the stored key ring cannot be read: {e}")))?,
        None => KeyRing::default(),
    };
    let mut maker = Generator {
        algorithm: managed.algorithm,
        wrap_key: &managed.wrap,
    };
    let policy = &managed.rotation;
    let moves: Vec<Transition> = match &call {
        // A read answers the ring as stored when it cannot be moved (the core refuses a wrap
        // secret that cannot open it): the settings built from it then name the setting.
        KeyCall::Ring(_) => {
            let mut moved = ring.clone();
            match moved.step(policy, now, &mut maker) {
                Ok(moves) => {
                    ring = moved;
                    moves
                }
                Err(_) => Vec::new(),
            }
        }
        KeyCall::Step(_) => ring.step(policy, now, &mut maker)?,
        KeyCall::Rotate(_) => ring.rotate(policy, now, &mut maker)?,
        KeyCall::RevokeKey(RevokeKey { kid }) => ring.revoke(kid, now, &mut maker)?,
    };
    if !moves.is_empty() {
        let text = serde_json::to_string(&ring)
            .map_err(|e| Error::Internal(format!("the key ring cannot be written: {e}")))?;
        store
            .put(RING, &text, now + KEEP)
            .await
            .map_err(Error::from)?;
    }
    match call {
        KeyCall::Ring(_) => Ring::reply(ring),
        KeyCall::Step(_) => Step::reply(KeyMoves { moves, ring }),
        KeyCall::Rotate(_) => Rotate::reply(KeyMoves { moves, ring }),
        KeyCall::RevokeKey(_) => RevokeKey::reply(KeyMoves { moves, ring }),
    }
}
