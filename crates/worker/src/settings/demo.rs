//! `EDGE_JWT_DEMO_LOGIN`: the demo's own audience and the verifier of its resource.

use edge_jwt_core::verify::{Verifier, VerifyOptions};
use edge_jwt_core::TokenIssuer;

use crate::api::ApiError;

/// The demo's sessions get an audience of their own, `<issuer>/demo`, and the demo resource
/// accepts only that: a demo turned on by mistake mints nothing the real resources accept.
#[derive(Debug)]
pub struct Demo {
    pub audience: String,
    pub verifier: Verifier,
}

impl Demo {
    pub(super) fn new(issuer: &TokenIssuer) -> Result<Self, ApiError> {
        let policy = issuer.policy();
        let audience = format!("{}/demo", policy.issuer.trim_end_matches('/'));
        let options = VerifyOptions {
            audience: Some(audience.clone()),
            ..issuer.access_verifier().options().clone()
        };
        let verifier = Verifier::new(issuer.keys().verification_keys(), options)
            .map_err(|e| ApiError::misconfigured("the demo", &e.to_string()))?;
        Ok(Demo { audience, verifier })
    }
}
