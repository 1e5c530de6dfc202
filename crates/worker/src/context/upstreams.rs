//! The identity providers users sign in with (`EDGE_JWT_UPSTREAMS`): where their endpoints and
//! keys are (an OpenID provider's metadata, `discovery`'s; GitHub's known ones), and
//! the two calls a sign-in makes: the code exchanged at the token endpoint, then the user named
//! by the ID token (checked by the core, with the provider's keys) or by GitHub's user API.

use serde_json::{Map, Value};

use edge_jwt_core::signin::upstream::{GITHUB_AUTHORIZATION, GITHUB_TOKEN, GITHUB_USER};
use edge_jwt_core::signin::{
    verify_id_token, IdTokenCheck, SignInState, Upstream, UpstreamKind, UpstreamLink,
    UPSTREAM_LINK_KEY,
};
use edge_jwt_core::{Error, RefreshClaims};

use super::discovery::OPENID;
use super::Ctx;
use crate::api::ApiError;
use crate::calls::{End, Keep, Kept};
use crate::events::{Event, Subjects};
use crate::platform::{Outgoing, Platform};
use edge_jwt_core::authorization::request::percent_encode as urlencode;

/// The largest answer read from a provider, in bytes.
const MAX_ANSWER: usize = 64 * 1024;
/// GitHub's API refuses a request without a `User-Agent`.
const USER_AGENT: &str = "edge-jwt";

/// Where an upstream's endpoints and keys are.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    /// An OpenID provider's issuer (none for GitHub).
    issuer: String,
    pub authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: Option<String>,
    id_token_signing_alg_values_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// What a provider said when asked to refresh a session's link.
pub(crate) enum UpstreamRefresh {
    /// Still good: its refresh token from now on.
    Refreshed(String),
    /// The grant is gone (`invalid_grant`): the user left, or their access was revoked.
    Refused(String),
    /// It could not be asked, or answered something else: the session is left as it is.
    Unreachable(String),
}

fn failed(why: String) -> Error {
    Error::SignInFailed(why)
}

impl<P: Platform> Ctx<'_, P> {
    /// An upstream's endpoints: GitHub's (or those configured), or an OpenID provider's
    /// metadata (its `issuer` must be the configured one), each endpoint configured replacing
    /// the discovered one.
    pub(crate) async fn provider(&self, upstream: &Upstream) -> Result<Endpoints, Error> {
        let mut endpoints = match (upstream.kind(), &upstream.issuer) {
            (UpstreamKind::OpenId, Some(issuer)) => {
                let unusable =
                    |why: String| failed(format!("the identity provider's metadata: {why}"));
                let metadata = self.discover(issuer, &[OPENID]).await.map_err(unusable)?;
                let (Some(authorization_endpoint), Some(token_endpoint)) =
                    (metadata.authorization_endpoint, metadata.token_endpoint)
                else {
                    return Err(unusable(
                        "not OpenID provider metadata (no authorization or token endpoint)".into(),
                    ));
                };
                Endpoints {
                    issuer: metadata.issuer,
                    authorization_endpoint,
                    token_endpoint,
                    jwks_uri: metadata.jwks_uri,
                    id_token_signing_alg_values_supported: metadata
                        .id_token_signing_alg_values_supported,
                    token_endpoint_auth_methods_supported: metadata
                        .token_endpoint_auth_methods_supported,
                }
            }
            _ => Endpoints {
                issuer: String::new(),
                authorization_endpoint: GITHUB_AUTHORIZATION.to_owned(),
                token_endpoint: GITHUB_TOKEN.to_owned(),
                jwks_uri: None,
                id_token_signing_alg_values_supported: None,
                token_endpoint_auth_methods_supported: Some(vec!["client_secret_post".into()]),
            },
        };
        if let Some(url) = &upstream.authorization_endpoint {
            endpoints.authorization_endpoint = url.clone();
        }
        if let Some(url) = &upstream.token_endpoint {
            endpoints.token_endpoint = url.clone();
        }
        Ok(endpoints)
    }

    /// The user the provider signed in for `sign_in`, given the `code` it sent back: the code
    /// exchanged (with the sign-in's PKCE verifier), then the ID token's claims (OpenID) or
    /// GitHub's user; with the provider's refresh token, when it sent one. `SignInFailed` says
    /// what went wrong, never with a secret.
    pub(crate) async fn upstream_identity(
        &self,
        upstream: &Upstream,
        metadata: &Endpoints,
        sign_in: &SignInState,
        code: &str,
    ) -> Result<(Map<String, Value>, Option<String>), Error> {
        let answer = self
            .exchange_code(upstream, metadata, sign_in, code)
            .await?;
        let refresh_token =
            (answer.get("refresh_token").and_then(Value::as_str)).map(str::to_owned);
        let identity = match upstream.kind() {
            UpstreamKind::OpenId => {
                let id_token = answer
                    .get("id_token")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        failed(
                            "the identity provider sent no ID token (is openid among the scopes?)"
                                .into(),
                        )
                    })?;
                let jwks_uri = (metadata.jwks_uri.as_deref())
                    .ok_or_else(|| failed("the identity provider publishes no jwks_uri".into()))?;
                let policy = self.settings.issuer.policy();
                let check = IdTokenCheck {
                    issuer: &metadata.issuer,
                    client_id: &upstream.client_id,
                    nonce: &sign_in.nonce,
                    algorithms: metadata.id_token_signing_alg_values_supported.as_deref(),
                    now: self.now(),
                    leeway: policy.leeway,
                };
                let claims = self
                    .with_remote_keys(jwks_uri, |jwks| verify_id_token(id_token, jwks, &check))
                    .await
                    .unwrap_or_else(|why| {
                        Err(failed(format!("the identity provider's keys: {why}")))
                    })?;
                claims.into_map()
            }
            UpstreamKind::GitHub => {
                let token = answer
                    .get("access_token")
                    .and_then(Value::as_str)
                    .ok_or_else(|| failed("GitHub sent no access token".into()))?;
                self.github_user(upstream, token).await?
            }
        };
        Ok((identity, refresh_token))
    }

    /// `POST` the token endpoint: the code, the redirect URI and the PKCE verifier.
    async fn exchange_code(
        &self,
        upstream: &Upstream,
        metadata: &Endpoints,
        sign_in: &SignInState,
        code: &str,
    ) -> Result<Map<String, Value>, Error> {
        let form = format!(
            "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
            urlencode(code),
            urlencode(&self.signin_callback()),
            urlencode(&sign_in.verifier)
        );
        let request = Outgoing::post_form(&metadata.token_endpoint, form);
        let request = authenticated(upstream, metadata, request);
        let answer = self.call_provider(&request, "its token endpoint").await?;
        if let Some(error) = answer.get("error").and_then(Value::as_str) {
            let description =
                (answer.get("error_description").and_then(Value::as_str)).unwrap_or_default();
            return Err(failed(format!(
                "the identity provider refused the sign-in's code: {error} {description}"
            )));
        }
        Ok(answer)
    }

    /// Asks the provider to refresh a session's link (`grant_type=refresh_token`): its refresh
    /// token from now on, or whether it refused (the user is gone) or could not be asked.
    pub(crate) async fn refresh_upstream(
        &self,
        upstream: &Upstream,
        refresh_token: &str,
    ) -> UpstreamRefresh {
        let metadata = match self.provider(upstream).await {
            Ok(metadata) => metadata,
            Err(err) => return UpstreamRefresh::Unreachable(err.to_string()),
        };
        let form = format!(
            "grant_type=refresh_token&refresh_token={}",
            urlencode(refresh_token)
        );
        let request = authenticated(
            upstream,
            &metadata,
            Outgoing::post_form(&metadata.token_endpoint, form),
        );
        let answered = match self.platform.fetch(&request, MAX_ANSWER).await {
            Ok(answered) => answered,
            Err(err) => return UpstreamRefresh::Unreachable(err.error_description),
        };
        let answer: Map<String, Value> = serde_json::from_slice(&answered.body).unwrap_or_default();
        match (answered.status, answer.get("error").and_then(Value::as_str)) {
            // RFC 6749 §5.2: the grant is no longer good (revoked, expired, the user removed).
            (_, Some(error @ ("invalid_grant" | "unauthorized_client"))) => {
                UpstreamRefresh::Refused(error.to_owned())
            }
            (200..=299, None) => UpstreamRefresh::Refreshed(
                (answer.get("refresh_token").and_then(Value::as_str))
                    .unwrap_or(refresh_token)
                    .to_owned(),
            ),
            (status, error) => UpstreamRefresh::Unreachable(format!(
                "its token endpoint answered HTTP {status} {}",
                error.unwrap_or_default()
            )),
        }
    }

    /// A JSON object from the provider, or why not.
    async fn call_provider(
        &self,
        request: &Outgoing,
        what: &str,
    ) -> Result<Map<String, Value>, Error> {
        let answered = self
            .platform
            .fetch(request, MAX_ANSWER)
            .await
            .map_err(|e| {
                failed(format!(
                    "the identity provider's {what} could not be reached: {}",
                    e.error_description
                ))
            })?;
        let object: Option<Map<String, Value>> = serde_json::from_slice(&answered.body).ok();
        match (answered.status, object) {
            (_, Some(object)) if object.contains_key("error") => Ok(object),
            (200..=299, Some(object)) => Ok(object),
            (status, _) => Err(failed(format!(
                "the identity provider's {what} answered HTTP {status}"
            ))),
        }
    }

    /// GitHub's user (its numeric `id` is the `sub`), with its primary email when verified.
    async fn github_user(
        &self,
        upstream: &Upstream,
        token: &str,
    ) -> Result<Map<String, Value>, Error> {
        let user_url = upstream.userinfo_endpoint.as_deref().unwrap_or(GITHUB_USER);
        let get = |url: &str| {
            Outgoing::get(url)
                .header("Authorization", format!("Bearer {token}"))
                .header("Accept", "application/vnd.github+json")
                .header("User-Agent", USER_AGENT)
        };
        let user = self.call_provider(&get(user_url), "user API").await?;
        let id = match user.get("id") {
            Some(Value::Number(id)) => id.to_string(),
            _ => return Err(failed("GitHub's user API named no user id".into())),
        };
        let mut identity = Map::new();
        identity.insert("sub".into(), Value::String(id));
        for name in ["login", "name"] {
            if let Some(value) = user.get(name).filter(|v| v.is_string()) {
                identity.insert(name.into(), value.clone());
            }
        }
        // The emails API says which address is verified; /user's `email` is only the public one.
        let emails_url = format!("{}/emails", user_url.trim_end_matches('/'));
        let answered = self
            .platform
            .fetch(&get(&emails_url), MAX_ANSWER)
            .await
            .ok();
        let emails: Vec<Value> = answered
            .filter(|a| a.status == 200)
            .and_then(|a| serde_json::from_slice(&a.body).ok())
            .unwrap_or_default();
        let primary = emails
            .iter()
            .find(|e| e.get("primary") == Some(&Value::Bool(true)));
        if let Some(email) = primary
            .and_then(|e| e.get("email"))
            .filter(|e| e.is_string())
        {
            identity.insert("email".into(), email.clone());
            let verified = primary.and_then(|e| e.get("verified")) == Some(&Value::Bool(true));
            identity.insert("email_verified".into(), Value::Bool(verified));
        }
        Ok(identity)
    }

    /// Keeps a new session's link to the provider that signed its user in, until the session's
    /// absolute end, in the session's own object.
    pub(crate) async fn keep_upstream_link(&self, sid: &str, link: String) -> Result<(), ApiError> {
        let keep = Keep {
            key: UPSTREAM_LINK_KEY.to_owned(),
            value: link,
            until: self.now() + self.settings.issuer.policy().session_max,
        };
        Ok(self.call(sid, keep).await?)
    }

    /// At a refresh that tells the subject (at most once per notice interval): a session that
    /// follows its provider asks it again. Its refusal ends the session (an
    /// `upstream_session_ended` event) and the refresh is refused; a provider that cannot be
    /// asked leaves the session as it is (logged).
    pub(crate) async fn follow_upstream(&self, claims: &RefreshClaims) -> Result<(), ApiError> {
        if !self.settings.upstreams.all().iter().any(|u| u.follow) {
            return Ok(());
        }
        let kept = Kept {
            key: UPSTREAM_LINK_KEY.to_owned(),
        };
        let Some(sealed) = self.call(&claims.sid, kept).await? else {
            return Ok(());
        };
        let link = UpstreamLink::open(&self.settings.seal, &sealed)?;
        let Some(upstream) = (self.settings.upstreams.get(&link.upstream)).filter(|u| u.follow)
        else {
            return Ok(());
        };
        match self.refresh_upstream(upstream, &link.refresh_token).await {
            UpstreamRefresh::Refreshed(token) if token == link.refresh_token => Ok(()),
            UpstreamRefresh::Refreshed(refresh_token) => {
                let renewed = UpstreamLink {
                    refresh_token,
                    ..link
                }
                .seal(&self.settings.seal)?;
                self.keep_upstream_link(&claims.sid, renewed).await
            }
            UpstreamRefresh::Unreachable(why) => {
                let line = format!(
                    "edge-jwt: upstream {} could not be asked about session {}: {why}",
                    upstream.id, claims.sid
                );
                self.platform.log(&line);
                Ok(())
            }
            UpstreamRefresh::Refused(why) => {
                let sid = claims.sid.clone();
                self.call(&sid, End { sid: sid.clone() }).await?;
                self.forget(&claims.sub, &sid).await;
                let reason = format!("{} refused the user's grant: {why}", upstream.id);
                let about = Subjects {
                    reason: Some(&reason),
                    ..Subjects::refresh(claims)
                };
                self.event(Event::UpstreamSessionEnded, about);
                Err(ApiError {
                    error_description: "the identity provider no longer signs this user in: the \
                                        session has ended; sign in again"
                        .to_owned(),
                    ..ApiError::from(Error::SessionNotFound)
                })
            }
        }
    }

    /// Where providers send the browser back: `/signin/callback` (register it at each one).
    pub(crate) fn signin_callback(&self) -> String {
        format!(
            "{}/signin/callback",
            self.settings.issuer.policy().issuer.trim_end_matches('/')
        )
    }
}

/// `request` with the issuer's client authenticated as the provider takes it: HTTP Basic, unless
/// it lists only `client_secret_post`; answers asked as JSON (GitHub's default is a form).
fn authenticated(upstream: &Upstream, metadata: &Endpoints, request: Outgoing) -> Outgoing {
    let methods = (metadata.token_endpoint_auth_methods_supported.as_deref()).unwrap_or_default();
    let post = !methods.is_empty() && !methods.iter().any(|m| m == "client_secret_basic");
    let mut request = request.header("Accept", "application/json");
    if post {
        let form = request.form.get_or_insert_with(String::new);
        form.push_str(&format!(
            "&client_id={}&client_secret={}",
            urlencode(&upstream.client_id),
            urlencode(&upstream.client_secret)
        ));
        return request;
    }
    // RFC 6749 §2.3.1: each part form-encoded, then Base64.
    let credentials = format!(
        "{}:{}",
        urlencode(&upstream.client_id),
        urlencode(&upstream.client_secret)
    );
    request.header(
        "Authorization",
        format!("Basic {}", base64_std(credentials.as_bytes())),
    )
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
