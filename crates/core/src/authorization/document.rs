//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id`
//! that is an `https` URL with a path names a JSON document describing a public client. Which
//! URLs are fetched is `document_url`'s.

use serde_json::Value;

use super::assertion::PRIVATE_KEY_JWT;
use super::client::{
    check_client_name, dpop_bound_access_tokens, ClientKeys, ClientOrigin, FlowClient, AUTH_NONE,
};
use super::document_url::{check, host_of};
use super::redirect::check_registrable;
use crate::error::{Error, Result};

/// The largest document read, in bytes.
pub const MAX_DOCUMENT: usize = 5 * 1024;
/// The longest a fetched document is kept, in seconds.
pub const MAX_CACHE: u64 = 86_400;

/// The client a fetched document describes: it must name itself (`client_id` equal to the
/// URL it was fetched from), list redirect URIs a client may register, and hold no secret: a
/// public client, or one that signs assertions with keys at a `jwks_uri` on its own host
/// (`loopback`: as the document URL itself may be `http://127.0.0.1`, in tests).
pub fn client(url: &str, body: &[u8], loopback: bool) -> Result<FlowClient> {
    let bad =
        |why: &str| Error::InvalidOption(format!("the client metadata document at {url}: {why}"));
    if body.len() > MAX_DOCUMENT {
        return Err(bad("it is over 5 KiB"));
    }
    let document: Value = serde_json::from_slice(body).map_err(|_| bad("it is not JSON"))?;
    if document.get("client_id").and_then(Value::as_str) != Some(url) {
        return Err(bad("its client_id is not its own URL"));
    }
    if document.get("client_secret").is_some() {
        return Err(bad(
            "it holds a client_secret, which a published document cannot keep",
        ));
    }
    let keys = match auth_method(url, &document, loopback) {
        Some(keys) => keys,
        None => {
            return Err(bad(
                "it offers no token_endpoint_auth_method a document's client may use here \
                 (none, or private_key_jwt with a jwks_uri on its own host)",
            ))
        }
    };
    let redirect_uris: Vec<String> = document
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|uris| {
            uris.iter()
                .filter_map(|u| u.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(bad("it lists no redirect_uris"));
    }
    for uri in &redirect_uris {
        check_registrable(uri).map_err(|e| bad(&e.to_string()))?;
    }
    let client_name = document
        .get("client_name")
        .and_then(Value::as_str)
        .map(|n| n.chars().take(200).collect::<String>());
    if let Some(name) = &client_name {
        check_client_name(name).map_err(|e| bad(&e.to_string()))?;
    }
    Ok(FlowClient {
        client_id: url.to_owned(),
        client_name,
        redirect_uris,
        public: keys.is_none(),
        scopes: None,
        origin: ClientOrigin::Document {
            host: host_of(url).to_owned(),
        },
        keys,
        dpop_bound: (document.as_object())
            .map(dpop_bound_access_tokens)
            .transpose()
            .map_err(|e| bad(&e.to_string()))?
            .unwrap_or(false),
    })
}

/// How a document's client authenticates (OpenID Connect RP Metadata Choices): by the method
/// it declares when the issuer takes it from a document's client, otherwise by the first of its
/// `token_endpoint_auth_methods_supported` that the issuer takes; `None` if neither. The issuer
/// takes `none` (a public client: `Some(None)`) and `private_key_jwt` with a `jwks_uri` on the
/// document's own host (what vouches for the keys is the host that serves the document),
/// fetched as documents are. Grant and response types beyond the code flow's are ignored.
fn auth_method(url: &str, document: &Value, loopback: bool) -> Option<Option<ClientKeys>> {
    let takes = |method: &str| match method {
        AUTH_NONE => Some(None),
        PRIVATE_KEY_JWT => {
            let uri = document.get("jwks_uri")?.as_str()?;
            let fetched = check(uri, loopback).is_ok() && host_of(uri) == host_of(url);
            fetched.then(|| Some(ClientKeys::JwksUri(uri.to_owned())))
        }
        _ => None,
    };
    let declared = document
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or(AUTH_NONE);
    takes(declared).or_else(|| {
        (document
            .get("token_endpoint_auth_methods_supported")?
            .as_array()?)
        .iter()
        .filter_map(Value::as_str)
        .find_map(takes)
    })
}

/// How long a document may be kept: its `Cache-Control` `max-age` (none: not at all,
/// `no-store`: not at all), at most a day.
pub fn cache_seconds(cache_control: Option<&str>) -> u64 {
    let Some(header) = cache_control else {
        return 0;
    };
    if header.to_ascii_lowercase().contains("no-store") {
        return 0;
    }
    header
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0)
        .min(MAX_CACHE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.example/oauth/client.json";

    #[test]
    fn a_document_must_name_itself_be_public_and_list_registrable_redirect_uris() {
        let good = format!(
            r#"{{"client_id":"{URL}","client_name":"App","redirect_uris":["http://127.0.0.1/cb"]}}"#
        );
        let client = client(URL, good.as_bytes(), false).unwrap();
        assert_eq!(
            (client.client_name.as_deref(), client.public),
            (Some("App"), true)
        );
        for bad in [
            r#"{"client_id":"https://other.example/c.json","redirect_uris":["http://127.0.0.1/cb"]}"#.to_owned(),
            format!(r#"{{"client_id":"{URL}"}}"#),
            format!(r#"{{"client_id":"{URL}","redirect_uris":["http://evil.example/cb"]}}"#),
            format!(r#"{{"client_id":"{URL}","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"client_secret_basic"}}"#),
            "not json".to_owned(),
            format!(r#"{{"client_id":"{URL}","redirect_uris":["http://127.0.0.1/cb"],"pad":"{}"}}"#, "x".repeat(6000)),
        ] {
            assert!(super::client(URL, bad.as_bytes(), false).is_err(), "{}", &bad[..bad.len().min(80)]);
        }
    }

    /// ChatGPT's published shape: it declares `private_key_jwt` and offers `none` too, with
    /// grant and response types beyond the code flow's.
    fn chatgpt_shaped(jwks_uri: &str, supported: &str) -> String {
        format!(
            r#"{{"client_id":"{URL}","client_name":"ChatGPT","redirect_uris":["https://app.example/connector_platform_oauth_redirect"],
            "token_endpoint_auth_method":"private_key_jwt","token_endpoint_auth_methods_supported":{supported},
            "token_endpoint_auth_signing_alg":"RS256","jwks_uri":"{jwks_uri}",
            "grant_types":["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:jwt-bearer"],
            "response_types":["code","id_token"]}}"#
        )
    }

    #[test]
    fn a_document_declaring_private_key_jwt_uses_its_own_hosts_keys_or_falls_back_to_none() {
        let keys = "https://app.example/oauth/jwks.json";
        let chosen = client(
            URL,
            chatgpt_shaped(keys, r#"["none","private_key_jwt"]"#).as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!(chosen.keys, Some(ClientKeys::JwksUri(keys.into())));
        assert!(!chosen.public);
        // Keys elsewhere are not the document host's word: the client falls back to none,
        // which it offers, and is refused if it offers nothing else.
        let elsewhere = "https://keys.example/jwks.json";
        let fallback = client(
            URL,
            chatgpt_shaped(elsewhere, r#"["none","private_key_jwt"]"#).as_bytes(),
            false,
        )
        .unwrap();
        assert!(fallback.public && fallback.keys.is_none());
        let only_keys = chatgpt_shaped(elsewhere, r#"["private_key_jwt"]"#);
        assert!(client(URL, only_keys.as_bytes(), false).is_err());
        // Declared only, nothing the issuer takes: refused, saying what would do.
        let only = format!(
            r#"{{"client_id":"{URL}","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"client_secret_basic","token_endpoint_auth_methods_supported":["client_secret_post"]}}"#
        );
        let err = client(URL, only.as_bytes(), false).unwrap_err().to_string();
        assert!(err.contains("none, or private_key_jwt"), "{err}");
        // Declared private_key_jwt without keys, but offering none: a public client.
        let keyless = format!(
            r#"{{"client_id":"{URL}","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"private_key_jwt","token_endpoint_auth_methods_supported":["private_key_jwt","none"]}}"#
        );
        let public = client(URL, keyless.as_bytes(), false).unwrap();
        assert!(public.public && public.keys.is_none());
    }

    #[test]
    fn documents_are_kept_within_their_max_age_and_a_day() {
        assert_eq!(cache_seconds(None), 0);
        assert_eq!(cache_seconds(Some("public, max-age=600")), 600);
        assert_eq!(cache_seconds(Some("max-age=999999")), 86_400);
        assert_eq!(cache_seconds(Some("no-store, max-age=60")), 0);
    }
}
