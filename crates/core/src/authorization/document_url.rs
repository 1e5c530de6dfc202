//! Which client ID metadata document URLs the issuer fetches. A URL is checked as the string it
//! is and fetched as the string it is, so it must be exactly its own canonical form (what the
//! WHATWG URL parser serializes it to, which is what a fetch requests): otherwise `%2e%2e`, a
//! backslash or a tab would pass a check and be normalized away by the fetch, and the document
//! served from `/attacker.json` would be shown as `/clients/victim/…`. And it must be on a
//! public host name: never an IP literal, `localhost`, a single label or a port (the issuer's
//! own host is refused by the Worker, which knows it).

/// Whether `client_id` is meant as a document URL: an `https` URL, or with `loopback` an
/// `http://127.0.0.1` one. Such a client id is a document's or no client at all.
pub fn names_document(client_id: &str, loopback: bool) -> bool {
    let lower = client_id.get(..8).map(str::to_ascii_lowercase);
    lower.as_deref() == Some("https://") || (loopback && client_id.starts_with("http://127.0.0.1"))
}

/// Refuses (saying why) a document URL the issuer does not fetch: one that is not exactly its
/// canonical form with a path and no dot segment, or whose host is not a public DNS name on
/// the default port. With `loopback`, `http://127.0.0.1:<port>/path` is accepted too (local
/// runs and tests only).
pub fn check(url: &str, loopback: bool) -> Result<(), &'static str> {
    let (authority, rest) = if let Some(after) = url.strip_prefix("https://") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        check_public_host(authority)?;
        (authority, rest)
    } else if let Some(after) = url.strip_prefix("http://127.0.0.1:").filter(|_| loopback) {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (port, rest) = after.split_at(end);
        check_port(port)?;
        (port, rest)
    } else {
        return Err("it must be an https URL written in lower case");
    };
    if authority.is_empty() {
        return Err("it has no host");
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if path.len() < 2 || !path.starts_with('/') {
        return Err("it must have a path (a document URL is never a bare origin)");
    }
    if !path.bytes().all(path_byte) || !percent_encodings_hold(path) {
        return Err("its path has characters a URL must percent-encode, or a stray %");
    }
    if path.split('/').any(is_dot_segment) {
        return Err("its path has a dot segment (. or .., also percent-encoded)");
    }
    if let Some(query) = query {
        let query_byte = |b: u8| path_byte(b) && b != b'\'' || b == b'?';
        if !query.bytes().all(query_byte) || !percent_encodings_hold(query) {
            return Err("its query has characters a URL must percent-encode, or a stray %");
        }
    }
    Ok(())
}

/// The host of a document URL (its authority: documents carry no credentials).
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or_default()
}

/// A host the issuer may fetch from: a DNS name of two labels or more, in lower case, ASCII
/// (an internationalized name as its `xn--` form), without a port, credentials, or a trailing
/// dot; never an IP literal in any of the forms the URL parser reads as one, nor `localhost`.
fn check_public_host(host: &str) -> Result<(), &'static str> {
    if host.contains('@') {
        return Err("it carries credentials");
    }
    if host.contains(':') || host.starts_with('[') {
        return Err(
            "it names a port or an IP address: documents are fetched from a host name on port 443",
        );
    }
    let name_byte = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.';
    if !host.bytes().all(name_byte) {
        return Err(
            "its host must be a DNS name in lower case (an internationalized one in its xn-- form)",
        );
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Err("its host is a single label: documents are fetched from public host names");
    }
    if labels
        .iter()
        .any(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
    {
        return Err("its host has an empty or malformed label");
    }
    // The URL parser reads a host whose last label is a number (decimal, octal or 0x hex) as
    // an IPv4 address: `https://2130706433/` and `https://0x7f.1/` are 127.0.0.1.
    let last = labels[labels.len() - 1];
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") {
        return Err("its host is an IP address: documents are fetched from public host names");
    }
    if last == "localhost" {
        return Err("its host is localhost");
    }
    Ok(())
}

/// A loopback document's port, as the URL parser writes it: digits, no leading zero, not 80.
fn check_port(port: &str) -> Result<(), &'static str> {
    let canonical = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port.parse::<u16>().is_ok_and(|p| p != 80);
    if canonical {
        Ok(())
    } else {
        Err("its port must be a number from 1 to 65535 other than 80, without leading zeros")
    }
}

/// What a canonical path holds as itself: RFC 3986's `pchar` and `/` (the URL parser encodes
/// everything else, and reads `\` as `/`).
fn path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b)
}

/// Every `%` starts a percent-encoded byte (two hex digits).
fn percent_encodings_hold(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// `.` or `..`, as the URL parser reads them (`%2e` is a dot to it).
fn is_dot_segment(segment: &str) -> bool {
    let dots = segment.to_ascii_lowercase().replace("%2e", ".");
    dots == "." || dots == ".."
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each is what Node's WHATWG `new URL(u).href` gives back byte for byte (checked when
    /// this list was written): the issuer fetches exactly what it checked.
    const CANONICAL: [&str; 6] = [
        "https://app.example/oauth/client.json",
        "https://chatgpt.com/.well-known/oauth-client/abc_123.json",
        "https://xn--bcher-kva.example/c.json",
        "https://app.example/c.json?v=2&x=%20y",
        "https://app.example/a/b/%7Euser/c.json",
        "https://a.b.example//double/c.json",
    ];

    #[test]
    fn a_canonical_url_on_a_public_host_is_fetched() {
        for url in CANONICAL {
            assert_eq!(check(url, false), Ok(()), "{url}");
            assert!(names_document(url, false));
        }
        assert_eq!(check("http://127.0.0.1:5/c.json", true), Ok(()));
    }

    #[test]
    fn a_url_the_fetch_would_normalize_is_refused() {
        for url in [
            "https://app.example/clients/victim/%2e%2e/%2e%2e/attacker.json",
            "https://app.example/clients/victim/%2E./attacker.json",
            "https://app.example/clients/victim/../attacker.json",
            "https://app.example/clients/./c.json",
            "https://app.example/clients\\..\\attacker.json",
            "https://app.example/clients/.\t./attacker.json",
            "https://app.example/a b.json",
            "https://App.example/c.json",
            "HTTPS://app.example/c.json",
            "https://app.example:443/c.json",
            "https://app.example/c.json#frag",
            "https://app.example/c%zz.json",
            "https://app.example/c.json?it's",
            "https://app.example/ü.json",
            "https://bücher.example/c.json",
            "https://app.example",
            "https://app.example/",
            "https://app.example?x=1",
        ] {
            assert!(check(url, false).is_err(), "{url}");
        }
    }

    #[test]
    fn hosts_that_are_not_public_names_are_refused() {
        for url in [
            "https://127.0.0.1/c.json",
            "https://2130706433/c.json",
            "https://0x7f.1/c.json",
            "https://10.0.0.010/c.json",
            "https://[::1]/c.json",
            "https://localhost/c.json",
            "https://api.localhost/c.json",
            "https://intranet/c.json",
            "https://app.example:8443/c.json",
            "https://user@app.example/c.json",
            "https://app.example./c.json",
            "https://-app.example/c.json",
            "http://app.example/c.json",
        ] {
            assert!(check(url, false).is_err(), "{url}");
        }
        // Loopback mode keeps its own rule, and only it.
        for url in [
            "http://127.0.0.1/c.json",
            "http://127.0.0.1:80/c.json",
            "http://127.0.0.1:05/c.json",
            "http://127.0.0.1:5",
            "http://127.0.0.1.evil.example/c.json",
        ] {
            assert!(check(url, true).is_err(), "{url}");
        }
        assert!(check("http://127.0.0.1:5/c.json", false).is_err());
        assert!(!names_document("http://127.0.0.1:5/c.json", false));
        assert!(names_document("HTTPS://app.example/c.json", false));
        assert!(!names_document("cli-id", true));
    }
}
