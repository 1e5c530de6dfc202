//! Tokens obtained for someone else: [`exchange`], a client trading an access token it
//! received for one to call another service, acting for the same subject in the same session
//! (RFC 8693); and [`identity_assertion`], a client presenting a trusted identity provider's
//! assertion for its user (RFC 7523, the ID-JAG profile).

pub mod exchange;
pub mod identity_assertion;

pub use exchange::{exchange, subject_token, ExchangeRequest, ExchangeRules, TOKEN_EXCHANGE};
pub use identity_assertion::{
    issue_for_assertion, verify_identity_assertion, GrantCheck, TrustedIssuer, VerifiedGrant,
    JWT_BEARER,
};
