//! Sign-in through an identity provider a team already has (an OpenID provider, or GitHub): the
//! issuer answers its own login challenges when no login app is configured. The browser goes to
//! the provider with the authorization code flow (PKCE, `state`, `nonce`), comes back with a
//! code, and the provider's ID token (or GitHub's user) names the user. What travels between the
//! two legs is sealed in `state` ([`SignInState`]), bound to the browser by a cookie: nothing is
//! stored. The user's subject is derived from the provider and its `sub`, never an email.

pub mod allow;
pub mod id_token;
pub mod link;
pub mod remembered;
pub mod state;
pub mod upstream;

pub use allow::Allow;
pub use id_token::{verify_id_token, IdTokenCheck};
pub use link::{UpstreamLink, UPSTREAM_LINK_KEY};
pub use remembered::{RememberedConsent, CONSENT_MEMORY};
pub use state::{ConsentTicket, SignInState};
pub use upstream::{Upstream, UpstreamKind};
