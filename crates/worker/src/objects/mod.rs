//! The issuer's Durable Objects: one per session (rotation), one per subject (its sessions and
//! its logout-everywhere), and the typed calls that reach them.

pub mod authorization;
pub mod calls;
pub mod key_calls;
pub mod keys;
pub mod session;
pub mod storage;
pub mod subject;
#[cfg(test)]
mod tests;
