//! The issuer's Durable Objects, the Worker's second way in (beside `edge`): `SessionObject`
//! per session (rotation), `SubjectObject` per subject (its sessions and its logout
//! everywhere), `AuthorizationObject` per login challenge, and the one `KeyObject` (the
//! managed signing keys). The calls that reach them are `crate::calls`.

pub mod authorization;
pub mod keys;
pub mod session;
pub mod shell;
pub mod storage;
pub mod subject;
#[cfg(test)]
mod tests;
