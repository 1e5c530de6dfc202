//! The issuer's HTTP API as pure functions: parsing requests and shaping answers, with no
//! Worker types, so it is unit-tested natively. The Worker adapters in `routes` only move bytes.

pub mod auth;
pub mod error;
pub mod form;
pub mod responses;
pub mod routes;
pub mod settings;

pub use error::ApiError;
