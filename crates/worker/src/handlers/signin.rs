//! The issuer's own sign-in, when no login app is configured and `EDGE_JWT_UPSTREAMS` names
//! identity providers: `/authorize` sends the browser to `/signin` with its login challenge; the
//! user picks a provider (or goes straight to the only one), signs in there, and comes back to
//! `/signin/callback`, where the provider's answer is checked and the challenge answered. A client
//! the operator did not configure gets a consent page first. Every refusal is a page saying why.

use edge_jwt_core::authorization::request::redirect_with;
use edge_jwt_core::authorization::{Answerer, ClientOrigin, Consent, Pending};
use edge_jwt_core::signin::{
    ConsentTicket, RememberedConsent, SignInState, UpstreamKind, UpstreamLink, CONSENT_MEMORY,
};
use edge_jwt_core::Error;
use serde_json::Value;

use crate::api::form::query_pairs;
use crate::api::incoming::{Body, Incoming};
use crate::api::pages::{self, escape};
use crate::api::reply::Reply;
use crate::api::ApiError;
use crate::calls::{RememberConsent, Remembered};
use crate::context::{read_form, Answer, Ctx};
use crate::events::{Event, Subjects};
use crate::platform::Platform;

/// The cookie that binds a sign-in to the browser that began it.
const COOKIE: &str = "edge_jwt_signin";

/// `GET /signin?login_challenge=…`: the chooser, or the only provider at once.
pub(crate) async fn choose<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    shown(async {
        let challenge = param(&req, "login_challenge")?;
        let pending = ctx.open_pending(&challenge)?;
        let upstreams = ctx.settings.upstreams.all();
        if let [only] = upstreams {
            return Reply::redirect(&begin_url(ctx, &only.id, &challenge));
        }
        let choices: String = upstreams
            .iter()
            .map(|u| {
                format!(
                    "<p><a class=\"button\" href=\"{}\">Continue with {}</a></p>",
                    escape(&begin_url(ctx, &u.id, &challenge)),
                    escape(u.display_name())
                )
            })
            .collect();
        let main = format!(
            "<p>To continue to <strong>{}</strong>, sign in with:</p>{choices}",
            escape(client_label(&pending))
        );
        Ok(pages::page(200, "Sign in", &main))
    })
    .await
}

/// `GET /signin/{upstream}?login_challenge=…`: begins a sign-in at that provider, with PKCE,
/// `state` (sealed, bound to a new cookie) and `nonce`.
pub(crate) async fn begin<P: Platform, B>(
    req: Incoming<B>,
    ctx: &Ctx<'_, P>,
    upstream_id: &str,
) -> Answer {
    shown(async {
        let challenge = param(&req, "login_challenge")?;
        let upstream = ctx
            .settings
            .upstreams
            .get(upstream_id)
            .ok_or_else(|| ApiError::new(404, "not_found", "no such identity provider here"))?;
        ctx.open_pending(&challenge)?;
        // Each sign-in makes the issuer call the provider: limited per address, as /authorize.
        ctx.limit().await?;
        let browser = edge_jwt_core::random::new_id()?;
        let sign_in = SignInState::begin(&challenge, &upstream.id, &browser, ctx.now())?;
        let metadata = ctx.provider(upstream).await?;
        let state = sign_in.seal(&ctx.settings.seal)?;
        let callback = ctx.signin_callback();
        let scope = upstream.scope();
        let code_challenge = sign_in.code_challenge();
        let mut params = vec![
            ("response_type", Some("code")),
            ("client_id", Some(upstream.client_id.as_str())),
            ("redirect_uri", Some(callback.as_str())),
            ("scope", Some(scope.as_str())),
            ("state", Some(state.as_str())),
            ("code_challenge", Some(code_challenge.as_str())),
            ("code_challenge_method", Some("S256")),
        ];
        if upstream.kind() == UpstreamKind::OpenId {
            params.push(("nonce", Some(sign_in.nonce.as_str())));
        }
        let mut reply = Reply::redirect(&redirect_with(&metadata.authorization_endpoint, &params))?;
        reply
            .headers
            .push(("Set-Cookie", cookie(ctx, &browser, 600)));
        Ok(reply)
    })
    .await
}

/// `GET /signin/callback`: the provider's answer. The `state` must be one this issuer began in
/// this browser, for a challenge not answered yet; the code is exchanged and the user checked
/// (the ID token, or GitHub's user; the allow-list). A configured client's challenge is then
/// accepted; any other client's goes to the consent page.
pub(crate) async fn callback<P: Platform, B>(req: Incoming<B>, ctx: &Ctx<'_, P>) -> Answer {
    shown(async {
        let params = query_pairs(&req.url)?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let state = get("state")
            .ok_or_else(|| Error::SignInFailed("the identity provider sent no state".into()))?;
        let browser = browser_cookie(&req);
        let sign_in = SignInState::open(&ctx.settings.seal, state, browser.as_deref(), ctx.now())?;
        let upstream = (ctx.settings.upstreams.get(&sign_in.upstream)).ok_or_else(|| {
            Error::SignInFailed("that identity provider is no longer configured".into())
        })?;
        let pending = ctx.open_pending(&sign_in.challenge)?;
        if ctx.was_answered(&pending).await? {
            return Err(Error::SignInFailed(
                "this sign-in was used already: start again from the application".into(),
            )
            .into());
        }
        if let Some(error) = get("error") {
            // The user cancelled, or the provider refused: the client hears access_denied.
            let why = format!("the identity provider refused the sign-in ({error})");
            let to = ctx
                .reject_to(&sign_in.challenge, Some("access_denied"), Some(&why))
                .await?;
            return Reply::redirect(&to);
        }
        let code = get("code")
            .ok_or_else(|| Error::SignInFailed("the identity provider sent no code".into()))?;
        let metadata = ctx.provider(upstream).await?;
        // RFC 9207: a provider that names itself in its answer must be the one asked (a mix-up
        // between providers sharing the callback is refused before any code is sent anywhere).
        if let (Some(iss), Some(expected)) = (get("iss"), upstream.issuer.as_deref()) {
            if iss != expected {
                return Err(Error::SignInFailed(format!(
                    "the answer names issuer {iss:?}, not the identity provider asked"
                ))
                .into());
            }
        }
        let (identity, upstream_refresh) = ctx
            .upstream_identity(upstream, &metadata, &sign_in, code)
            .await?;
        let sub = identity
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let subject = upstream.subject(sub)?;
        if let Err(why) = upstream.allow.check(&identity) {
            let about = Subjects {
                sub: Some(&subject),
                client_id: Some(&pending.request.client_id),
                reason: Some(&why),
                ..Subjects::default()
            };
            ctx.event(Event::SignInRefused, about);
            return Err(ApiError {
                code: Some(edge_jwt_core::ErrorCode::SignInFailed),
                ..ApiError::new(403, "access_denied", why)
            });
        }
        // Sessions that follow the provider keep its refresh token, sealed, with the session.
        let upstream_link =
            match (upstream.follow, upstream_refresh) {
                (false, _) => None,
                (true, Some(refresh_token)) => {
                    let link = UpstreamLink {
                        upstream: upstream.id.clone(),
                        refresh_token,
                    };
                    Some(link.seal(&ctx.settings.seal)?)
                }
                (true, None) => return Err(Error::SignInFailed(
                    "the identity provider sent no refresh token, which sessions that follow it \
                     need: ask for offline access (its scopes)"
                        .into(),
                )
                .into()),
            };
        let consent = Consent {
            sub: subject,
            claims: upstream.carried_claims(&identity),
            upstream_link,
            ..Consent::default()
        };
        if pending.client_origin == ClientOrigin::Configured {
            return answered(ctx, &sign_in.challenge, consent).await;
        }
        // The user allowed this client before and asked not to be asked again: for the same
        // resource and no wider scope, that answer stands.
        let remembered = Remembered {
            client_id: pending.request.client_id.clone(),
        };
        if let Some(allowed) = ctx.call(&consent.sub, remembered).await? {
            if allowed.covers(&pending.request) {
                return answered(ctx, &sign_in.challenge, consent).await;
            }
        }
        let ticket = ConsentTicket::new(&sign_in, consent, ctx.now()).seal(&ctx.settings.seal)?;
        Ok(consent_page(ctx, &pending, &ticket))
    })
    .await
}

/// `POST /signin/consent` (`ticket`, `decision` = `allow` or `deny`): the consent page's
/// answer, from the browser that signed in.
pub(crate) async fn consent<P: Platform, B: Body>(
    mut req: Incoming<B>,
    ctx: &Ctx<'_, P>,
) -> Answer {
    shown(async {
        let browser = browser_cookie(&req);
        let form = read_form(&mut req).await?;
        let ticket = ConsentTicket::open(
            &ctx.settings.seal,
            form.require("ticket")?,
            browser.as_deref(),
            ctx.now(),
        )?;
        match form.require("decision")? {
            "allow" => {
                if form.get("remember") == Some("yes") {
                    let pending = ctx.open_pending(&ticket.challenge)?;
                    let remember = RememberConsent {
                        client_id: pending.request.client_id.clone(),
                        consent: RememberedConsent::of(&pending.request),
                        until: ctx.now() + CONSENT_MEMORY,
                    };
                    ctx.call(&ticket.consent.sub, remember).await?;
                }
                answered(ctx, &ticket.challenge, ticket.consent).await
            }
            "deny" => {
                let to = ctx
                    .reject_to(
                        &ticket.challenge,
                        Some("access_denied"),
                        Some("the user denied access"),
                    )
                    .await?;
                let mut reply = Reply::redirect(&to)?;
                reply.headers.push(("Set-Cookie", cookie(ctx, "", 0)));
                Ok(reply)
            }
            _ => Err(ApiError::invalid_request("decision must be allow or deny")),
        }
    })
    .await
}

/// The challenge accepted for the signed-in user: to the client with the code; the cookie
/// cleared.
async fn answered<P: Platform>(ctx: &Ctx<'_, P>, challenge: &str, consent: Consent) -> Answer {
    // The sign-in answers within what was asked (and the operator's bounds, applied at
    // /authorize), as an app with no list of its own does.
    let by = Answerer::App { scopes: None };
    let to = ctx.accept_to(challenge, consent, by).await?;
    let mut reply = Reply::redirect(&to)?;
    reply.headers.push(("Set-Cookie", cookie(ctx, "", 0)));
    Ok(reply)
}

/// The consent page for a client the operator did not configure: who it is and where it comes
/// from, where the browser goes next, what it asks for; allow or deny.
fn consent_page<P: Platform>(ctx: &Ctx<'_, P>, pending: &Pending, ticket: &str) -> Reply {
    let request = &pending.request;
    let origin = match &pending.client_origin {
        ClientOrigin::Document { host } => format!("described by a document at {}", escape(host)),
        _ => "registered itself: its name is its own claim".to_owned(),
    };
    let redirect_host = request
        .redirect_uri
        .split_once("://")
        .map_or(request.redirect_uri.as_str(), |(_, rest)| {
            rest.split(['/', '?', '#']).next().unwrap_or(rest)
        });
    let scopes: String = match request.scope.as_deref().filter(|s| !s.is_empty()) {
        Some(scope) => scope
            .split(' ')
            .map(|s| format!("<li><code>{}</code></li>", escape(s)))
            .collect(),
        None => "<li>no particular scope</li>".to_owned(),
    };
    let resource = request.resource.as_deref().map_or(String::new(), |r| {
        format!("<p>For the resource <code>{}</code>.</p>", escape(r))
    });
    let main = format!(
        "<p><strong>{name}</strong> ({origin}) asks to act for you.</p>\
         <p>After you answer, your browser goes to <code>{host}</code>.</p>\
         <p>It asks for:</p><ul>{scopes}</ul>{resource}\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
         <p><label><input type=\"checkbox\" name=\"remember\" value=\"yes\"> Don't ask again \
         for this app (30 days, the same access)</label></p>\
         <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        name = escape(client_label(pending)),
        host = escape(redirect_host),
        action = escape(&format!("{}/signin/consent", base(ctx))),
        ticket = escape(ticket),
    );
    pages::page(200, "Allow access?", &main)
}

fn client_label(pending: &Pending) -> &str {
    pending
        .client_name
        .as_deref()
        .unwrap_or(&pending.request.client_id)
}

fn base<P: Platform>(ctx: &Ctx<'_, P>) -> String {
    ctx.settings
        .issuer
        .policy()
        .issuer
        .trim_end_matches('/')
        .to_owned()
}

fn begin_url<P: Platform>(ctx: &Ctx<'_, P>, upstream: &str, challenge: &str) -> String {
    redirect_with(
        &format!("{}/signin/{upstream}", base(ctx)),
        &[("login_challenge", Some(challenge))],
    )
}

/// The sign-in cookie: only for `/signin`, never readable by script, sent on the provider's
/// top-level redirect back (`Lax`) but not with a cross-site form post; `Secure` on `https`.
fn cookie<P: Platform>(ctx: &Ctx<'_, P>, value: &str, max_age: u64) -> String {
    let secure = if base(ctx).starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}={value}; Path=/signin; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

fn browser_cookie<B>(req: &Incoming<B>) -> Option<String> {
    let header = req.header("Cookie")?;
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

fn param<B>(req: &Incoming<B>, name: &str) -> Result<String, ApiError> {
    query_pairs(&req.url)?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .ok_or_else(|| ApiError::invalid_request(format!("missing parameter {name}")))
}

/// A person is shown a page, never JSON: a refusal becomes one, with its status.
async fn shown(answer: impl std::future::Future<Output = Answer>) -> Answer {
    Ok(answer.await.unwrap_or_else(|err| pages::refusal(&err)))
}
