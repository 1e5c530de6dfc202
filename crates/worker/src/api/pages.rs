//! The few pages the issuer itself shows a person, for its own sign-in: the chooser of identity
//! providers, the consent for a client the operator did not configure, and a refusal that says
//! why. Small, accessible, never cached, never framed, no script; every value escaped.

use super::reply::Reply;
use super::ApiError;

const HTML: &str = "text/html;charset=UTF-8";
/// No script, no framing, nothing loaded from elsewhere; the consent form posts to the issuer.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// `text` with HTML's special characters escaped (for element content and quoted attributes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page: `title` (escaped here) and `main`, HTML the caller escaped.
pub fn page(status: u16, title: &str, main: &str) -> Reply {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;\
         margin:3rem auto;padding:0 1rem;color:#1a1a1a}}h1{{font-size:1.4rem}}\
         button,a.button{{display:inline-block;font:inherit;padding:.5rem 1rem;margin:.25rem .5rem \
         .25rem 0;border:1px solid #555;border-radius:.3rem;background:#fff;color:#1a1a1a;\
         text-decoration:none;cursor:pointer}}button.primary{{background:#1a4fd6;color:#fff;\
         border-color:#1a4fd6}}code{{font-size:.9em}}</style></head>\
         <body><main><h1>{title}</h1>{main}</main></body></html>\n",
        title = escape(title)
    );
    Reply {
        status,
        headers: vec![
            ("Content-Type", HTML.to_owned()),
            ("Cache-Control", "no-store".to_owned()),
            ("Content-Security-Policy", CSP.to_owned()),
            ("X-Frame-Options", "DENY".to_owned()),
            ("X-Content-Type-Options", "nosniff".to_owned()),
            ("Referrer-Policy", "no-referrer".to_owned()),
        ],
        body,
    }
}

/// A refusal as a page: the error's status and its description (never an internal detail:
/// `ApiError` carries none for the issuer's own faults).
pub fn refusal(err: &ApiError) -> Reply {
    let title = match err.status {
        403 => "You may not sign in here",
        status if status >= 500 => "Sign-in is unavailable",
        _ => "Sign-in could not finish",
    };
    let main = format!(
        "<p>{}</p><p>Go back to the application and start again. If it keeps happening, tell \
         its operator: <code>{}</code>.</p>",
        escape(&err.error_description),
        escape(err.code.map_or(err.error, |c| c.as_str()))
    );
    page(err.status, title, &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_and_forbid_framing_and_script() {
        let reply = page(200, "<b>x</b>", "<p>ok</p>");
        assert!(reply.body.contains("<title>&lt;b&gt;x&lt;/b&gt;</title>"));
        assert!(reply
            .header("Content-Security-Policy")
            .unwrap()
            .contains("frame-ancestors 'none'"));
        assert_eq!(reply.header("X-Frame-Options"), Some("DENY"));
        assert_eq!(escape(r#"a"'&<"#), "a&quot;&#39;&amp;&lt;");
    }
}
