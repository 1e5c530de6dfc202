//! The one route table: every path the issuer answers, with the methods it takes. `Allow`,
//! the 405s and the preflight answers all follow from it.

use edge_jwt_core::claims::MAX_SUBJECT_LENGTH;

use super::{form, ApiError};

/// An endpoint, with what its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Jwks,
    Metadata,
    /// `POST /sessions`
    StartSession,
    /// `POST /token`
    Token,
    /// `POST /revoke`
    Revoke,
    /// `POST /introspect`
    Introspect,
    /// `POST /subjects/{sub}/revoke`
    LogOutSubject {
        sub: String,
    },
    /// `GET /subjects/{sub}/sessions`
    SubjectSessions {
        sub: String,
    },
    /// `POST /subjects/{sub}/sessions/{sid}/revoke`
    EndSubjectSession {
        sub: String,
        sid: String,
    },
    DemoLogin,
    DemoMe,
    DemoLogoutEverywhere,
    /// `POST /test/store-conformance`: the store contract against KV and a Durable Object.
    StoreConformance,
}

/// The methods a route takes (`OPTIONS` always, for CORS preflight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Methods {
    Get,
    Post,
}

impl Methods {
    pub fn allows(self, method: &str) -> bool {
        match self {
            Methods::Get => method == "GET" || method == "HEAD",
            Methods::Post => method == "POST",
        }
    }

    /// The `Allow` header's value.
    pub fn allow(self) -> &'static str {
        match self {
            Methods::Get => "GET, HEAD, OPTIONS",
            Methods::Post => "POST, OPTIONS",
        }
    }
}

impl Route {
    /// The route of `path` (as it appears in the URL, percent-encoded), or 404; a `{sub}`
    /// that does not decode (RFC 3986, `+` is a plus sign) or is too long is 400.
    pub fn resolve(path: &str, demo: bool, tests: bool) -> Result<(Route, Methods), ApiError> {
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let route = match segments.as_slice() {
            ["healthz"] => (Route::Health, Methods::Get),
            [".well-known", "jwks.json"] => (Route::Jwks, Methods::Get),
            [".well-known", "oauth-authorization-server"] => (Route::Metadata, Methods::Get),
            ["sessions"] => (Route::StartSession, Methods::Post),
            ["token"] => (Route::Token, Methods::Post),
            ["revoke"] => (Route::Revoke, Methods::Post),
            ["introspect"] => (Route::Introspect, Methods::Post),
            ["subjects", sub, "revoke"] => {
                (Route::LogOutSubject { sub: subject(sub)? }, Methods::Post)
            }
            ["subjects", sub, "sessions"] => {
                (Route::SubjectSessions { sub: subject(sub)? }, Methods::Get)
            }
            ["subjects", sub, "sessions", sid, "revoke"] => (
                Route::EndSubjectSession {
                    sub: subject(sub)?,
                    sid: session_id(sid)?,
                },
                Methods::Post,
            ),
            // The demo's routes exist only when the local configuration turns the demo on.
            ["demo", "login"] if demo => (Route::DemoLogin, Methods::Post),
            ["demo", "me"] if demo => (Route::DemoMe, Methods::Get),
            ["demo", "logout-everywhere"] if demo => (Route::DemoLogoutEverywhere, Methods::Post),
            // For the end-to-end tests only, when the configuration turns it on.
            ["test", "store-conformance"] if tests => (Route::StoreConformance, Methods::Post),
            _ => return Err(ApiError::not_found()),
        };
        Ok(route)
    }
}

fn subject(segment: &str) -> Result<String, ApiError> {
    let sub = form::decode_segment(segment).map_err(|_| {
        ApiError::invalid_request("the subject in the path is not valid percent-encoded UTF-8")
    })?;
    if sub.is_empty() || sub.len() > MAX_SUBJECT_LENGTH {
        return Err(ApiError::invalid_request(format!(
            "the subject must be 1 to {MAX_SUBJECT_LENGTH} bytes"
        )));
    }
    Ok(sub)
}

/// A `sid` is what the issuer makes: 22 base64url characters.
fn session_id(segment: &str) -> Result<String, ApiError> {
    let valid = segment.len() == 22
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(segment.to_owned())
    } else {
        Err(ApiError::invalid_request(
            "the session id in the path is not one this issuer makes",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_decode_as_path_segments() {
        let (route, methods) =
            Route::resolve("/subjects/ann+test%40example.com/revoke", false, false).unwrap();
        assert_eq!(
            route,
            Route::LogOutSubject {
                sub: "ann+test@example.com".into()
            }
        );
        assert_eq!(methods.allow(), "POST, OPTIONS");
        for bad in [
            "/subjects/%zz/revoke",
            "/subjects/%ff/revoke",
            "/subjects/%+9/revoke",
        ] {
            let err = Route::resolve(bad, false, false).unwrap_err();
            assert_eq!((err.status, err.error), (400, "invalid_request"), "{bad}");
        }
        let long = format!("/subjects/{}/revoke", "a".repeat(MAX_SUBJECT_LENGTH + 1));
        assert_eq!(Route::resolve(&long, false, false).unwrap_err().status, 400);
    }

    #[test]
    fn sessions_of_a_subject() {
        let (route, methods) = Route::resolve("/subjects/ann/sessions", false, false).unwrap();
        assert_eq!(route, Route::SubjectSessions { sub: "ann".into() });
        assert!(methods.allows("GET") && !methods.allows("POST"));
        let sid = "AAAAAAAAAAAAAAAAAAAAAA";
        let (route, _) = Route::resolve(
            &format!("/subjects/ann/sessions/{sid}/revoke"),
            false,
            false,
        )
        .unwrap();
        assert_eq!(
            route,
            Route::EndSubjectSession {
                sub: "ann".into(),
                sid: sid.into()
            }
        );
        assert_eq!(
            Route::resolve("/subjects/ann/sessions/x/revoke", false, false)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn unknown_paths_and_the_demo_when_off_are_404() {
        for path in [
            "/nope",
            "/subjects/a/b",
            "/demo/login",
            "/token/",
            "/../../etc/passwd",
        ] {
            assert_eq!(
                Route::resolve(path, false, false).unwrap_err().status,
                404,
                "{path}"
            );
        }
        assert_eq!(
            Route::resolve("/demo/login", true, false).unwrap().0,
            Route::DemoLogin
        );
    }
}
