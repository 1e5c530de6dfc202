//! The authorization server for the clients as they are (issue 31), through the handlers over
//! the in-memory objects: each test here failed on the code before its change.

use serde_json::json;

use crate::flow_tests::MCP;
use crate::handler_tests::*;
use crate::settings;

/// RFC 8707 at the client credentials grant: a resource the issuer serves is the token's
/// audience, any other is `invalid_target`, and none is the default audience.
#[test]
fn a_client_credentials_token_is_for_the_resource_it_names() {
    let p = MemoryPlatform::new(settings(&[(
        settings::RESOURCES,
        &json!([MCP]).to_string(),
    )]));
    let service = basic(SERVICE.0, SERVICE.1);
    let grant = |params: &[(&str, &str)]| {
        let mut all = vec![("grant_type", "client_credentials")];
        all.extend_from_slice(params);
        p.handle(post_form("/token", &all, &[("Authorization", &service)]))
    };
    let for_mcp = grant(&[("resource", MCP)]);
    assert_eq!(for_mcp.status, 200, "{}", for_mcp.body);
    let claims = token_claims(body(&for_mcp)["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], MCP);
    // Introspection takes it, as every token the issuer made.
    let introspected = introspect(&p, body(&for_mcp)["access_token"].as_str().unwrap());
    assert_eq!(introspected["active"], true);
    let other = grant(&[("resource", "https://other.test/api")]);
    assert_eq!(
        error_of(&other),
        (
            400,
            "invalid_target".into(),
            Some("ERR_INVALID_TARGET".into())
        )
    );
    let default = grant(&[]);
    let claims = token_claims(body(&default)["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "http://127.0.0.1:8787/api");
    let named_default = grant(&[("resource", "http://127.0.0.1:8787/api")]);
    assert_eq!(named_default.status, 200);
}
