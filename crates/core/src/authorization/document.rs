//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id`
//! that is an `https` URL with a path names a JSON document describing a public client. Which
//! URLs are fetched is `document_url`'s.

use serde_json::Value;

use super::client::{check_client_name, ClientOrigin, FlowClient, AUTH_NONE};
use super::redirect::check_registrable;
use crate::error::{Error, Result};

/// The largest document read, in bytes.
pub const MAX_DOCUMENT: usize = 5 * 1024;
/// The longest a fetched document is kept, in seconds.
pub const MAX_CACHE: u64 = 86_400;

/// The client a fetched document describes: it must name itself (`client_id` equal to the
/// URL it was fetched from), list redirect URIs a client may register, and be public (a
/// document can hold no secret).
pub fn client(url: &str, body: &[u8]) -> Result<FlowClient> {
    let bad =
        |why: &str| Error::InvalidOption(format!("the client metadata document at {url}: {why}"));
    if body.len() > MAX_DOCUMENT {
        return Err(bad("it is over 5 KiB"));
    }
    let document: Value = serde_json::from_slice(body).map_err(|_| bad("it is not JSON"))?;
    if document.get("client_id").and_then(Value::as_str) != Some(url) {
        return Err(bad("its client_id is not its own URL"));
    }
    let method = document
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or(AUTH_NONE);
    if method != AUTH_NONE || document.get("client_secret").is_some() {
        return Err(bad(
            "it must describe a public client (token_endpoint_auth_method none)",
        ));
    }
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
        public: true,
        scopes: None,
        origin: ClientOrigin::Document {
            host: super::document_url::host_of(url).to_owned(),
        },
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
        let client = client(URL, good.as_bytes()).unwrap();
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
            assert!(super::client(URL, bad.as_bytes()).is_err(), "{}", &bad[..bad.len().min(80)]);
        }
    }

    #[test]
    fn documents_are_kept_within_their_max_age_and_a_day() {
        assert_eq!(cache_seconds(None), 0);
        assert_eq!(cache_seconds(Some("public, max-age=600")), 600);
        assert_eq!(cache_seconds(Some("max-age=999999")), 86_400);
        assert_eq!(cache_seconds(Some("no-store, max-age=60")), 0);
    }
}
