//! Redirect URIs: which a client may register (RFC 8252 §7, OAuth 2.1 §2.3.1), and whether a
//! request's is one it registered (exactly; a loopback one on any port, RFC 8252 §7.3).

use crate::error::{Error, Result};

/// The parts of a URI that matching looks at.
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    /// Everything after the authority (path and query).
    rest: &'a str,
}

/// Splits `scheme://authority/rest` (or `scheme:rest` for a private-use scheme).
fn parts(uri: &str) -> Option<Parts<'_>> {
    let (scheme, after) = uri.split_once(':')?;
    let Some(after) = after.strip_prefix("//") else {
        return Some(Parts {
            scheme,
            host: "",
            port: None,
            rest: after,
        });
    };
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, tail) = v6.split_once(']')?;
        // After `]` only a port may follow: `[::1]evil` or `[::1]%40evil.example` is no host.
        if !tail.is_empty() && !tail.starts_with(':') {
            return None;
        }
        let port = tail.strip_prefix(':');
        (&authority[..inside.len() + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    Some(Parts {
        scheme,
        host,
        port,
        rest,
    })
}

fn is_loopback(host: &str) -> bool {
    host == "127.0.0.1" || host == "[::1]"
}

/// Whether `requested` is one of `registered`: exactly, or for an `http` loopback URI
/// (`127.0.0.1`, `[::1]`) the same but for the port, which a native app picks at run time.
pub fn matches(registered: &[String], requested: &str) -> bool {
    registered.iter().any(|uri| {
        if uri == requested {
            return true;
        }
        match (parts(uri), parts(requested)) {
            (Some(a), Some(b)) => {
                a.scheme == "http"
                    && b.scheme == "http"
                    && is_loopback(a.host)
                    && a.host == b.host
                    && a.rest == b.rest
                    && b.port
                        .is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
            }
            _ => false,
        }
    })
}

/// Whether a client may register `uri`: `https`; `http` on a loopback address; or a
/// private-use scheme (`com.example.app:/callback`, with a dot, RFC 8252 §7.1); never a
/// fragment, credentials or `localhost` (RFC 8252 §8.3).
pub fn check_registrable(uri: &str) -> Result<()> {
    let refuse = |why: &str| Err(Error::InvalidRedirectUri(format!("{uri:?}: {why}")));
    if uri.len() > 2048 || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("not a URI");
    }
    if uri.contains('#') {
        return refuse("a redirect URI has no fragment");
    }
    let Some(p) = parts(uri) else {
        return refuse("not an absolute URI");
    };
    let scheme_ok = !p.scheme.is_empty()
        && p.scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && p.scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return refuse("not an absolute URI");
    }
    match p.scheme {
        "https" if !p.host.is_empty() => Ok(()),
        "http" if is_loopback(p.host) => Ok(()),
        "http" => refuse("http is allowed only on a loopback address (127.0.0.1 or [::1])"),
        "https" => refuse("no host"),
        "javascript" | "data" | "file" | "about" | "blob" | "vbscript" => refuse("not allowed"),
        scheme if scheme.contains('.') => Ok(()),
        _ => refuse("use https, http on a loopback address, or a private-use scheme (reverse domain name, RFC 8252 §7.1)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_uri_matches_exactly_or_a_loopback_one_on_any_port() {
        let registered = vec![
            "https://app.example/cb".to_owned(),
            "http://127.0.0.1/callback".to_owned(),
            "http://[::1]:8080/cb".to_owned(),
            "com.example.app:/oauth".to_owned(),
        ];
        for ok in [
            "https://app.example/cb",
            "http://127.0.0.1:53123/callback",
            "http://127.0.0.1/callback",
            "http://[::1]:9/cb",
            "com.example.app:/oauth",
        ] {
            assert!(matches(&registered, ok), "{ok}");
        }
        for refused in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://app.example:444/cb",
            "http://127.0.0.1:53123/other",
            "http://localhost:53123/callback",
            "http://127.0.0.1:x/callback",
            "https://evil.example/cb",
            "http://127.0.0.1@evil.example/callback",
            "http://[::1]evil/cb",
            "http://[::1]%40evil.example/cb",
            "http://[::1]evil:9/cb",
        ] {
            assert!(!matches(&registered, refused), "{refused}");
        }
        // Registered without a port, the same: only a port may follow the address.
        let bare = vec!["http://[::1]/cb".to_owned()];
        assert!(matches(&bare, "http://[::1]:4000/cb"));
        for refused in ["http://[::1]evil/cb", "http://[::1]%40evil.example/cb"] {
            assert!(!matches(&bare, refused), "{refused}");
        }
    }

    #[test]
    fn only_https_loopback_http_and_private_use_schemes_may_be_registered() {
        for ok in [
            "https://app.example/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:3000/cb",
            "com.example.app:/oauth",
            "https://app.example/cb?tenant=a",
        ] {
            check_registrable(ok).unwrap();
        }
        for refused in [
            "http://app.example/cb",
            "http://localhost/cb",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
            "myapp:/cb",
            "/relative",
            "https:///nohost",
            "https://user@app.example/cb",
            "https://app.example/c b",
        ] {
            let err = check_registrable(refused).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_REDIRECT_URI", "{refused}");
        }
    }
}
