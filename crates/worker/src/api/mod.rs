//! The issuer's HTTP API as pure functions: parsing requests and shaping answers, with no
//! Worker types and no configuration (the `settings` module has it), so it is unit-tested
//! natively. The Worker's edge (`edge`) only moves bytes.

pub mod auth;
pub mod error;
pub mod form;
pub mod incoming;
pub mod pages;
pub mod paths;
pub mod reply;
pub mod requests;
pub mod responses;

pub use error::ApiError;
