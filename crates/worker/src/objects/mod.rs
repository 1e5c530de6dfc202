//! The issuer's Durable Objects, the Worker's second way in (beside `edge`): `SessionObject`
//! per session (its rotation, and first the one answer to the login challenge that starts it),
//! `SubjectObject` per subject (its sessions and its logout everywhere), and the one
//! `KeyObject` (the managed signing keys). The calls that reach them are `crate::calls`.

pub mod keys;
pub mod session;
pub mod shell;
pub mod storage;
pub mod subject;
#[cfg(test)]
mod tests;
