//! Managed signing keys: a ring that moves each key through **next** (published in the JWKS,
//! signs nothing) → **current** (signs) → **retired** (published until the last access token
//! it signed has expired, then kept only to verify refresh tokens it signed) → gone, on a
//! schedule, so that a verifier holding a cached JWKS never meets an unknown `kid`. A leaked key
//! is **revoked**: out of the JWKS and refused at once, with the next key signing in its place.
//!
//! Pure: the caller brings the time and a [`KeyMaker`]; the Worker keeps the ring in one Durable
//! Object and calls [`KeyRing::step`] from a Cron Trigger. Every step is idempotent: a step
//! that is not due changes nothing, so two runs at once change nothing twice.

pub mod wrap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::keys::{Algorithm, KeySet, SigningKey};
use wrap::WrapKey;

/// When keys move, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// How long a key signs (`EDGE_JWT_KEY_ROTATION`).
    pub period: u64,
    /// How long a key is published as next before it may sign: at least as long as a verifier
    /// may keep a JWKS (`EDGE_JWT_KEY_PUBLISH_AHEAD`).
    pub publish_ahead: u64,
    /// How long a retired key stays published: the access tokens' lifetime plus the leeway.
    pub access_window: u64,
    /// How long a retired key is kept to verify refresh tokens: the session maximum.
    pub refresh_window: u64,
}

impl RotationPolicy {
    /// The windows that follow from the issuer's token lifetimes: a retired key is published
    /// while an access token it signed may still be verified, and kept while a refresh token it
    /// signed may still be presented.
    pub fn new(policy: &crate::Policy, period: u64, publish_ahead: u64) -> Self {
        RotationPolicy {
            period,
            publish_ahead,
            access_window: policy.access_ttl + policy.leeway,
            refresh_window: policy.session_max + policy.leeway,
        }
    }
}

/// Where a key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Next,
    Current,
    Retired,
    Revoked,
}

/// One managed key: public, with its private half only wrapped ([`wrap`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedKey {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    /// Made and published (as next).
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
    /// The public JWK, as the JWKS serves it.
    pub public_jwk: Value,
    /// The private JWK, AES-256-GCM under the wrap key, bound to `kid`.
    pub wrapped: String,
}

impl ManagedKey {
    /// The key, decrypted with `wrap_key` (refused under another one), as a one-key set.
    pub fn key_set(&self, wrap_key: &WrapKey) -> Result<KeySet> {
        let text = wrap_key.unwrap(&self.kid, &self.wrapped)?;
        let text = String::from_utf8(text)
            .map_err(|_| Error::Internal(format!("key {} is not a JWK", self.kid)))?;
        KeySet::from_jwks(&format!(r#"{{"keys":[{text}]}}"#))
    }

    /// What `GET /keys` shows of it: everything but key material.
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "kid": self.kid, "alg": self.alg, "state": self.state, "created_at": self.created_at,
            "current_at": self.current_at, "retired_at": self.retired_at, "revoked_at": self.revoked_at,
        })
    }
}

/// Makes a fresh key, wrapped, published from `now` as next.
pub trait KeyMaker {
    fn make(&mut self, now: u64) -> Result<ManagedKey>;

    /// Fails unless a key this maker wraps is wrapped as `key` is (the same wrap secret): a
    /// ring is moved only by a maker that can open what it holds.
    fn opens(&self, key: &ManagedKey) -> Result<()>;
}

/// Fresh keys of one algorithm, wrapped under `wrap_key`.
pub struct Generator<'a> {
    pub algorithm: Algorithm,
    pub wrap_key: &'a WrapKey,
}

impl KeyMaker for Generator<'_> {
    fn make(&mut self, now: u64) -> Result<ManagedKey> {
        let set = KeySet::new(vec![SigningKey::generate(self.algorithm)?])?;
        let kid = set.signer().kid().to_owned();
        let public_jwk = set.public_jwks()["keys"][0].clone();
        let private_jwk = set.private_jwks()["keys"][0].to_string();
        Ok(ManagedKey {
            wrapped: self.wrap_key.wrap(&kid, private_jwk.as_bytes())?,
            kid,
            alg: self.algorithm.name().to_owned(),
            state: KeyState::Next,
            created_at: now,
            current_at: None,
            retired_at: None,
            revoked_at: None,
            public_jwk,
        })
    }

    fn opens(&self, key: &ManagedKey) -> Result<()> {
        self.wrap_key.unwrap(&key.kid, &key.wrapped).map(drop)
    }
}

/// A key's move, as the security log and `POST /keys/rotate` report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub kid: String,
    /// `next`, `current`, `retired`, `revoked`, or `gone`.
    pub to: String,
    pub at: u64,
}

impl Transition {
    fn new(kid: &str, to: &str, at: u64) -> Self {
        Transition {
            kid: kid.to_owned(),
            to: to.to_owned(),
            at,
        }
    }
}

/// The managed keys, as the key object stores them (JSON; private halves wrapped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyRing {
    pub keys: Vec<ManagedKey>,
}

impl KeyRing {
    /// The key that signs.
    pub fn current(&self) -> Option<&ManagedKey> {
        self.keys.iter().find(|k| k.state == KeyState::Current)
    }

    fn next(&self) -> Option<&ManagedKey> {
        self.keys.iter().find(|k| k.state == KeyState::Next)
    }

    /// The keys the JWKS serves at `now`: next, current, and retired within the access window.
    pub fn published(&self, policy: &RotationPolicy, now: u64) -> Vec<&ManagedKey> {
        self.keys
            .iter()
            .filter(|k| match k.state {
                KeyState::Next | KeyState::Current => true,
                KeyState::Retired => k.retired_at.unwrap_or(0) + policy.access_window > now,
                KeyState::Revoked => false,
            })
            .collect()
    }

    /// The public JWKS at `now`.
    pub fn jwks(&self, policy: &RotationPolicy, now: u64) -> Value {
        let keys: Vec<Value> = self
            .published(policy, now)
            .into_iter()
            .map(|k| k.public_jwk.clone())
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The issuer's keys, decrypted: the current key first (it signs), then the retired ones
    /// (their tokens still verify). Never the next key (it has signed nothing) or a revoked one.
    pub fn key_set(&self, wrap_key: &WrapKey) -> Result<KeySet> {
        let mut verifying = self.refresh_keys();
        // Stable: the current key first (it signs), the retired ones in their order.
        verifying.sort_by_key(|k| k.state != KeyState::Current);
        let mut keys = Vec::new();
        for key in verifying {
            keys.extend(key.key_set(wrap_key)?.into_keys());
        }
        if keys.is_empty() {
            return Err(Error::Internal("the key ring has no current key".into()));
        }
        KeySet::new(keys)
    }

    /// The keys a refresh token may have been signed with at `now`: current and retired (a
    /// retired key is dropped by [`KeyRing::step`] at the end of its refresh window).
    pub fn refresh_keys(&self) -> Vec<&ManagedKey> {
        self.keys
            .iter()
            .filter(|k| matches!(k.state, KeyState::Current | KeyState::Retired))
            .collect()
    }

    /// Moves the ring on at `now`, doing what is due, once: forget keys past their refresh
    /// window; make a current key if there is none (the first one signs at once: no verifier
    /// can hold a token of it yet); make a next key if there is none; promote next to current
    /// when the current key's period is over and next has been published long enough.
    pub fn step(
        &mut self,
        policy: &RotationPolicy,
        now: u64,
        maker: &mut dyn KeyMaker,
    ) -> Result<Vec<Transition>> {
        self.check_maker(maker)?;
        let mut moves = Vec::new();
        self.keys.retain(|k| {
            let ended = match k.state {
                KeyState::Retired => k.retired_at,
                KeyState::Revoked => k.revoked_at,
                _ => None,
            };
            let keep = ended.is_none_or(|at| at + policy.refresh_window > now);
            if !keep {
                moves.push(Transition::new(&k.kid, "gone", now));
            }
            keep
        });
        if self.current().is_none() {
            if self.next().is_none() {
                self.add(maker.make(now)?, &mut moves, now);
            }
            self.promote_next(now, &mut moves);
        }
        if self.next().is_none() {
            self.add(maker.make(now)?, &mut moves, now);
        }
        let due = self
            .current()
            .and_then(|k| k.current_at)
            .is_some_and(|at| at + policy.period <= now);
        let ready = self
            .next()
            .is_some_and(|k| k.created_at + policy.publish_ahead <= now);
        if due && ready {
            self.hand_over(now, maker, &mut moves)?;
        }
        Ok(moves)
    }

    /// `POST /keys/rotate`: the next key signs now, if it has been published long enough
    /// (else a verifier could meet its `kid` unknown: refused, with when it may sign).
    pub fn rotate(
        &mut self,
        policy: &RotationPolicy,
        now: u64,
        maker: &mut dyn KeyMaker,
    ) -> Result<Vec<Transition>> {
        let mut moves = self.step(policy, now, maker)?;
        if moves.iter().any(|m| m.to == "current") {
            return Ok(moves);
        }
        let ready_at = self
            .next()
            .map(|k| k.created_at + policy.publish_ahead)
            .unwrap_or(now);
        if ready_at > now {
            return Err(Error::InvalidOption(format!(
                "the next key has been published for less than EDGE_JWT_KEY_PUBLISH_AHEAD: it may sign from {ready_at} \
                 (a verifier may still hold a key set without it); to stop a leaked key now, revoke it"
            )));
        }
        self.hand_over(now, maker, &mut moves)?;
        Ok(moves)
    }

    /// `POST /keys/{kid}/revoke`: the key leaves the JWKS and stops verifying at once; if it
    /// was signing, the next key signs in its place now (made first if there is none).
    pub fn revoke(
        &mut self,
        kid: &str,
        now: u64,
        maker: &mut dyn KeyMaker,
    ) -> Result<Vec<Transition>> {
        self.check_maker(maker)?;
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.kid == kid && k.state != KeyState::Revoked)
            .ok_or_else(|| Error::InvalidOption(format!("no managed key {kid} to revoke")))?;
        let was_current = key.state == KeyState::Current;
        key.state = KeyState::Revoked;
        key.revoked_at = Some(now);
        let mut moves = vec![Transition::new(kid, "revoked", now)];
        if was_current {
            if self.next().is_none() {
                self.add(maker.make(now)?, &mut moves, now);
            }
            self.promote_next(now, &mut moves);
        }
        if self.next().is_none() {
            self.add(maker.make(now)?, &mut moves, now);
        }
        Ok(moves)
    }

    /// Refuses a maker that cannot open the ring's keys (another wrap secret), before anything
    /// moves: keys made under it would leave a ring that neither secret opens.
    fn check_maker(&self, maker: &dyn KeyMaker) -> Result<()> {
        let probe = self
            .current()
            .or_else(|| self.next())
            .or_else(|| self.keys.first());
        probe.map_or(Ok(()), |key| maker.opens(key))
    }

    /// The current key retires, the next one signs, and a new next key is published.
    fn hand_over(
        &mut self,
        now: u64,
        maker: &mut dyn KeyMaker,
        moves: &mut Vec<Transition>,
    ) -> Result<()> {
        self.retire_current(now, moves);
        self.promote_next(now, moves);
        self.add(maker.make(now)?, moves, now);
        Ok(())
    }

    fn add(&mut self, key: ManagedKey, moves: &mut Vec<Transition>, now: u64) {
        moves.push(Transition::new(&key.kid, "next", now));
        self.keys.push(key);
    }

    fn promote_next(&mut self, now: u64, moves: &mut Vec<Transition>) {
        if let Some(key) = self.keys.iter_mut().find(|k| k.state == KeyState::Next) {
            key.state = KeyState::Current;
            key.current_at = Some(now);
            moves.push(Transition::new(&key.kid, "current", now));
        }
    }

    fn retire_current(&mut self, now: u64, moves: &mut Vec<Transition>) {
        if let Some(key) = self.keys.iter_mut().find(|k| k.state == KeyState::Current) {
            key.state = KeyState::Retired;
            key.retired_at = Some(now);
            moves.push(Transition::new(&key.kid, "retired", now));
        }
    }
}

#[cfg(test)]
mod tests;
