//! The key ring's state machine, each transition at its time, and keys at rest.

use super::*;
use crate::jose::b64;

const DAY: u64 = 86_400;
const POLICY: RotationPolicy = RotationPolicy {
    period: 30 * DAY,
    publish_ahead: 2 * 3600,
    access_window: 330,
    refresh_window: 30 * DAY,
};
const T0: u64 = 1_800_000_000;

/// Keys named k1, k2, … (the state machine needs no cryptography).
#[derive(Default)]
struct Numbered(u32);

impl KeyMaker for Numbered {
    fn make(&mut self, now: u64) -> Result<ManagedKey> {
        self.0 += 1;
        Ok(ManagedKey {
            kid: format!("k{}", self.0),
            alg: "EdDSA".into(),
            state: KeyState::Next,
            created_at: now,
            current_at: None,
            retired_at: None,
            revoked_at: None,
            public_jwk: serde_json::json!({ "kid": format!("k{}", self.0) }),
            wrapped: String::new(),
        })
    }

    fn opens(&self, _key: &ManagedKey) -> Result<()> {
        Ok(()) // nothing is wrapped: the wrap key's check has a test of its own below
    }
}

fn states(ring: &KeyRing) -> Vec<(String, KeyState)> {
    ring.keys.iter().map(|k| (k.kid.clone(), k.state)).collect()
}

fn kids(keys: Vec<&ManagedKey>) -> Vec<&str> {
    keys.into_iter().map(|k| k.kid.as_str()).collect()
}

#[test]
fn the_first_step_makes_a_current_key_and_a_next_one() {
    let (mut ring, mut maker) = (KeyRing::default(), Numbered::default());
    ring.step(&POLICY, T0, &mut maker).unwrap();
    assert_eq!(
        states(&ring),
        [
            ("k1".into(), KeyState::Current),
            ("k2".into(), KeyState::Next)
        ]
    );
    assert_eq!(
        kids(ring.published(&POLICY, T0)),
        ["k1", "k2"],
        "next is published before it signs"
    );
}

#[test]
fn every_step_is_idempotent() {
    let (mut ring, mut maker) = (KeyRing::default(), Numbered::default());
    ring.step(&POLICY, T0, &mut maker).unwrap();
    for at in [T0, T0 + 1, T0 + 30 * DAY - 1] {
        let before = ring.clone();
        assert_eq!(ring.step(&POLICY, at, &mut maker).unwrap(), []);
        assert_eq!(ring, before);
    }
    ring.step(&POLICY, T0 + 30 * DAY, &mut maker).unwrap();
    let after = ring.clone();
    // The same run twice (two cron runs at once, one after the other in the object): nothing twice.
    assert_eq!(ring.step(&POLICY, T0 + 30 * DAY, &mut maker).unwrap(), []);
    assert_eq!(ring, after);
}

#[test]
fn next_signs_after_the_period_and_only_once_published_long_enough() {
    let (mut ring, mut maker) = (KeyRing::default(), Numbered::default());
    ring.step(&POLICY, T0, &mut maker).unwrap();
    let moves = ring.step(&POLICY, T0 + 30 * DAY, &mut maker).unwrap();
    let to: Vec<_> = moves
        .iter()
        .map(|m| (m.kid.as_str(), m.to.as_str()))
        .collect();
    assert_eq!(to, [("k1", "retired"), ("k2", "current"), ("k3", "next")]);
    assert_eq!(ring.current().unwrap().kid, "k2");
    // A next key made late (after a revoke) waits out publish_ahead even when the period is over.
    ring.revoke("k3", T0 + 30 * DAY, &mut maker).unwrap(); // k4 is next from now
    let late = T0 + 60 * DAY;
    ring.keys
        .iter_mut()
        .find(|k| k.kid == "k4")
        .unwrap()
        .created_at = late - 60;
    assert_eq!(
        ring.step(&POLICY, late, &mut maker)
            .unwrap()
            .iter()
            .filter(|m| m.to == "current")
            .count(),
        0
    );
    let moved = ring
        .step(&POLICY, late - 60 + POLICY.publish_ahead, &mut maker)
        .unwrap();
    assert!(
        moved.iter().any(|m| m.kid == "k4" && m.to == "current"),
        "{moved:?}"
    );
}

#[test]
fn a_retired_key_is_published_for_the_access_window_and_kept_for_the_refresh_window() {
    let (mut ring, mut maker) = (KeyRing::default(), Numbered::default());
    ring.step(&POLICY, T0, &mut maker).unwrap();
    let retired_at = T0 + 30 * DAY;
    ring.step(&POLICY, retired_at, &mut maker).unwrap();
    assert_eq!(
        kids(ring.published(&POLICY, retired_at + 329)),
        ["k1", "k2", "k3"]
    );
    assert_eq!(
        kids(ring.published(&POLICY, retired_at + 330)),
        ["k2", "k3"],
        "its last access token has expired"
    );
    assert_eq!(
        kids(ring.refresh_keys()),
        ["k1", "k2"],
        "its refresh tokens still verify"
    );
    ring.step(&POLICY, retired_at + 30 * DAY - 1, &mut maker)
        .unwrap();
    assert!(ring.keys.iter().any(|k| k.kid == "k1"));
    // At the end of the refresh window it is gone (the same step also rotates k2 out).
    let moves = ring
        .step(&POLICY, retired_at + 30 * DAY, &mut maker)
        .unwrap();
    assert!(moves.contains(&Transition::new("k1", "gone", retired_at + 30 * DAY)));
    assert!(!ring.keys.iter().any(|k| k.kid == "k1"));
}

#[test]
fn revoking_the_current_key_makes_the_next_one_sign_at_once() {
    let (mut ring, mut maker) = (KeyRing::default(), Numbered::default());
    ring.step(&POLICY, T0, &mut maker).unwrap();
    let at = T0 + 5;
    let moves = ring.revoke("k1", at, &mut maker).unwrap();
    let to: Vec<_> = moves
        .iter()
        .map(|m| (m.kid.as_str(), m.to.as_str()))
        .collect();
    assert_eq!(to, [("k1", "revoked"), ("k2", "current"), ("k3", "next")]);
    assert_eq!(
        kids(ring.published(&POLICY, at)),
        ["k2", "k3"],
        "out of the JWKS at once"
    );
    assert_eq!(
        kids(ring.refresh_keys()),
        ["k2"],
        "its refresh tokens refused at once"
    );
    assert!(
        ring.revoke("k1", at, &mut maker).is_err(),
        "a key is revoked once"
    );
    assert!(ring.revoke("nope", at, &mut maker).is_err());
    // With no next key at all, one is made and signs at once.
    let mut lone = KeyRing::default();
    lone.step(&POLICY, T0, &mut maker).unwrap();
    lone.keys.retain(|k| k.state == KeyState::Current);
    lone.revoke(&lone.current().unwrap().kid.clone(), at, &mut maker)
        .unwrap();
    assert!(lone.current().is_some() && lone.keys.iter().any(|k| k.state == KeyState::Next));
}

#[test]
fn rotate_on_demand_waits_for_the_next_key_to_be_known() {
    let (mut ring, mut maker) = (KeyRing::default(), Numbered::default());
    ring.step(&POLICY, T0, &mut maker).unwrap();
    let early = ring
        .rotate(&POLICY, T0 + 60, &mut maker)
        .unwrap_err()
        .to_string();
    assert!(
        early.contains("EDGE_JWT_KEY_PUBLISH_AHEAD") && early.contains("revoke"),
        "{early}"
    );
    let moves = ring
        .rotate(&POLICY, T0 + POLICY.publish_ahead, &mut maker)
        .unwrap();
    let to: Vec<_> = moves
        .iter()
        .map(|m| (m.kid.as_str(), m.to.as_str()))
        .collect();
    assert_eq!(to, [("k1", "retired"), ("k2", "current"), ("k3", "next")]);
}

#[test]
fn keys_at_rest_are_never_in_the_clear() {
    let wrap_key = WrapKey::from_base64url(&b64::encode(&[7; 32])).unwrap();
    let mut maker = Generator {
        algorithm: Algorithm::EdDSA,
        wrap_key: &wrap_key,
    };
    let mut ring = KeyRing::default();
    ring.step(&POLICY, T0, &mut maker).unwrap();
    let stored = serde_json::to_string(&ring).unwrap();
    assert!(
        !stored.contains("\"d\""),
        "no private member in what is stored: {stored}"
    );
    let current = ring.current().unwrap();
    assert_eq!(current.public_jwk["kid"], current.kid.as_str());
    assert!(current.public_jwk.get("d").is_none());
    // The wrapped key signs, and what it signs verifies with the published key.
    let set = current.key_set(&wrap_key).unwrap();
    assert_eq!(set.signer().kid(), current.kid);
    let back: KeyRing = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, ring);
    // Under another wrap key it does not open.
    let other = WrapKey::from_base64url(&b64::encode(&[8; 32])).unwrap();
    assert!(current
        .key_set(&other)
        .unwrap_err()
        .to_string()
        .contains("EDGE_JWT_KEY_WRAP"));
}

#[test]
fn a_wrap_key_that_cannot_open_the_ring_moves_nothing() {
    let wrap_key = WrapKey::from_base64url(&b64::encode(&[7; 32])).unwrap();
    let other = WrapKey::from_base64url(&b64::encode(&[8; 32])).unwrap();
    let maker = |wrap_key| Generator {
        algorithm: Algorithm::EdDSA,
        wrap_key,
    };
    let mut ring = KeyRing::default();
    ring.step(&POLICY, T0, &mut maker(&wrap_key)).unwrap();
    // A step is due: the current key's period is over and next has been published.
    let due = T0 + POLICY.period;
    let before = ring.clone();
    for attempt in [
        ring.clone().step(&POLICY, due, &mut maker(&other)),
        ring.clone().rotate(&POLICY, due, &mut maker(&other)),
        ring.clone()
            .revoke(&before.current().unwrap().kid, due, &mut maker(&other)),
    ] {
        let err = attempt.unwrap_err();
        assert!(err.to_string().contains("EDGE_JWT_KEY_WRAP"), "{err}");
    }
    let mut moved = ring.clone();
    assert!(moved.step(&POLICY, due, &mut maker(&other)).is_err());
    assert_eq!(moved, before, "nothing moved, nothing made");
    // The right secret moves it, and every key in it still opens.
    let moves = ring.step(&POLICY, due, &mut maker(&wrap_key)).unwrap();
    assert!(moves.iter().any(|m| m.to == "current"));
    assert!(ring.key_set(&wrap_key).is_ok());
}
