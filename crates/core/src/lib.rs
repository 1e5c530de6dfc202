//! edge-jwt-core: every rule about edge-jwt's tokens, with no I/O and no clock of its own.
//!
//! - [`keys`]: one key type per algorithm (EdDSA, ES256, HS256, which the issuer signs with; ES384,
//!   RS256..RS512, PS256..PS512, verified only), key sets, JWKS import/export.
//! - [`verify`]: the [`Verifier`] and its [`VerifyOptions`] (leeway 30 s by default).
//! - [`claims`]: access tokens (RFC 9068, `typ` at+jwt) and refresh tokens (`typ` rt+jwt).
//! - [`issuer`]: the [`TokenIssuer`], which signs and verifies the issuer's own tokens.
//! - [`client`]: what a configured client may do (permissions, grants, scopes).
//! - [`authorization`]: the authorization code flow with PKCE, and client registration.
//! - [`signin`]: sign-in through an identity provider (OpenID Connect, GitHub), with nothing stored.
//! - [`session`]: issuing, rotating and ending one session over its own [`Store`].
//! - [`subject`]: a subject's sessions and its logout-everywhere, over the subject's [`Store`].
//! - [`revocation`]: the self-pruning revocation list over a [`Store`].
//! - [`keyring`]: managed signing keys: next, current, retired, revoked, on a schedule.
//! - [`delegation`]: token exchange (RFC 8693) and the JWT bearer grant from trusted issuers
//!   (RFC 7523, the ID-JAG profile); [`actor`]: the `act` claim they write and verifiers read.
//! - [`dpop`]: DPoP proofs (RFC 9449) and key thumbprints (RFC 7638).
//! - [`resource`]: a resource server's request: its token, and the proof a bound token needs.
//! - [`Error`]: one error enum with jose's stable codes.
//!
//! Time comes in through [`Clock`], storage through [`Store`]; the Worker and the npm package
//! implement both.

pub mod actor;
#[cfg(feature = "issuer")]
mod aead;
#[cfg(feature = "issuer")]
pub mod authorization;
pub mod claims;
#[cfg(feature = "issuer")]
pub mod client;
pub mod clock;
pub mod conformance;
#[cfg(feature = "issuer")]
pub mod delegation;
pub mod dpop;
pub mod dpop_client;
pub mod error;
#[cfg(feature = "issuer")]
pub mod issuer;
pub mod jose;
#[cfg(feature = "issuer")]
pub mod keyring;
pub mod keys;
pub mod policy;
pub mod random;
pub mod resource;
pub mod revocation;
#[cfg(feature = "issuer")]
pub mod session;
#[cfg(feature = "issuer")]
pub mod signin;
pub mod store;
#[cfg(feature = "issuer")]
pub mod subject;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod verify;

pub use claims::{AccessClaims, Claims, RefreshClaims};
pub use clock::Clock;
pub use error::{ClaimReason, Error, ErrorCode, Result, RevokedBy};
#[cfg(feature = "issuer")]
pub use issuer::{SessionClaims, TokenIssuer, TokenPair};
pub use keys::{Algorithm, VerificationKeys};
#[cfg(feature = "issuer")]
pub use keys::{KeySet, SigningKey};
pub use policy::Policy;
pub use revocation::RevocationList;
#[cfg(feature = "issuer")]
pub use session::{NewSession, Presentation, Rotated, SessionRotation, SessionStatus};
pub use store::{Store, StoreError};
#[cfg(feature = "issuer")]
pub use subject::{ListedSession, Registered, SessionControl, Subject};
pub use verify::{Verifier, VerifyOptions};
