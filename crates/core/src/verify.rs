//! Token verification: one plain options struct with documented defaults, one `Verifier` that
//! checks, in order, size, structure, algorithm and key, signature, `typ`, then the claims.

use std::cell::OnceCell;

use crate::claims::{BorrowedClaims, Claims, ACCESS_TOKEN_TYP};
use crate::error::{ClaimReason, Error, Result};
use crate::jose::{json, CompactJws, Header};
use crate::keys::{Algorithm, VerificationKeys};

/// Default clock leeway, in seconds. Small and explicit: jwt-simple's own 15-minute default
/// never applies, because edge-jwt checks every time claim itself.
pub const DEFAULT_LEEWAY: u64 = 30;
/// Default longest token accepted, in bytes, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 8 * 1024;
/// Largest leeway accepted: more would make expiry meaningless for 5-minute tokens.
pub const MAX_LEEWAY: u64 = 300;

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Required `iss`; `None` accepts any (or none).
    pub issuer: Option<String>,
    /// An audience the token's `aud` must contain; `None` skips the check.
    pub audience: Option<String>,
    /// Clock leeway for `exp`, `nbf` and `iat`, in seconds. Default 30.
    pub leeway: u64,
    /// Required `typ` header, compared as jose does; `None` skips it. Default `at+jwt`.
    pub typ: Option<String>,
    /// Algorithms accepted; `None` accepts each key's own algorithm. Default `None`.
    pub algorithms: Option<Vec<Algorithm>>,
    /// Oldest token accepted, in seconds since its `iat` (which it then must have).
    pub max_age: Option<u64>,
    /// Longest token accepted, in bytes. Default 8 KiB.
    pub max_token_length: usize,
    /// Claims that must be present with exactly these JSON values, for example Cognito's
    /// `token_use: "access"`. Default none.
    pub required_claims: Vec<(String, serde_json::Value)>,
    /// The `azp` values accepted (OpenID Connect §2; Clerk puts the page's origin there): when
    /// set, a token must carry `azp` and it must be one of these. Default `None` (not checked).
    pub authorized_parties: Option<Vec<String>>,
    /// Whether a token bound to a key (`cnf`, RFC 9449 §6) verifies where its proof cannot be
    /// seen (`verify`, `verifyAsync`): refused by default, since a copy of it would work as a
    /// bearer token. Set only by a caller that checks the binding itself. The request path
    /// (`verify_request`) always takes bound tokens: it checks their proofs.
    pub allow_bound_tokens: bool,
    /// Scopes the token's `scope` must each carry (exact strings, RFC 6750 §3.1): a token
    /// otherwise valid without one of them is `InsufficientScope`. Default none.
    pub required_scopes: Vec<String>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY,
            typ: Some(ACCESS_TOKEN_TYP.to_owned()),
            algorithms: None,
            max_age: None,
            max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            required_claims: Vec::new(),
            authorized_parties: None,
            allow_bound_tokens: false,
            required_scopes: Vec::new(),
        }
    }
}

/// A key set and the options every token is held to.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: VerificationKeys,
    options: VerifyOptions,
    algorithms: Vec<Algorithm>,
}

impl Verifier {
    /// Checks the options against the keys once, so a mistake shows when the verifier is
    /// built, not on the first token.
    pub fn new(keys: VerificationKeys, options: VerifyOptions) -> Result<Self> {
        if options.leeway > MAX_LEEWAY {
            return Err(Error::InvalidOption(format!(
                "leeway must be at most {MAX_LEEWAY} seconds"
            )));
        }
        if options.max_token_length == 0 {
            return Err(Error::InvalidOption(
                "maxTokenLength must be positive".into(),
            ));
        }
        // Without an explicit list every algorithm edge-jwt knows is allowed: the key that the
        // token selects still has to be of the token's algorithm (see `candidates`), and a
        // token for a key this set does not have yet reports `ERR_JWKS_NO_MATCHING_KEY`, which
        // is what tells a remote key set to refetch. An allowed algorithm no key uses yet is
        // fine for the same reason: an allow-list written ahead of a key rotation must not stop
        // verification before the new keys are published.
        let algorithms = match &options.algorithms {
            None => Algorithm::ALL.to_vec(),
            Some(wanted) if wanted.is_empty() => {
                return Err(Error::InvalidOption("algorithms must not be empty".into()));
            }
            Some(wanted) => wanted.clone(),
        };
        Ok(Verifier {
            keys,
            options,
            algorithms,
        })
    }

    pub fn options(&self) -> &VerifyOptions {
        &self.options
    }

    /// Parses `token` and selects the keys that may verify it: everything but the signature.
    fn prepare<'a>(&self, token: &'a str) -> Result<(CompactJws<'a>, Vec<usize>)> {
        let jws = CompactJws::parse(token, self.options.max_token_length)?;
        let keys = self.keys.candidate_indexes(&jws.header, &self.algorithms)?;
        Ok((jws, keys))
    }

    /// Verifies the JWS signature only, and returns the header and the raw payload. For tokens
    /// that are not JWTs; use [`Verifier::verify`] for JWTs.
    pub fn verify_jws(&self, token: &str) -> Result<(Header, Vec<u8>)> {
        let (jws, keys) = self.prepare(token)?;
        if keys
            .iter()
            .all(|&i| !self.keys.keys()[i].key.verifies_here())
        {
            return Err(Error::InvalidOption(
                "ES384 signatures are checked by the host's WebCrypto only (verifyAsync, verifyRequest), and here they \
                 could not be: verify has no P-384, or the host has none, or the key is not a point on P-384"
                    .into(),
            ));
        }
        let signing_input = jws.signing_input.as_bytes();
        if !keys.iter().any(|&i| {
            self.keys.keys()[i]
                .key
                .verifies(signing_input, &jws.signature)
        }) {
            return Err(Error::SignatureVerificationFailed);
        }
        Ok((jws.header, jws.payload))
    }

    /// Verifies a JWT at time `now` (seconds since the epoch) and returns its claims.
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims> {
        self.verify_to_claims(token, now)
            .map(ParsedClaims::into_claims)
    }

    /// Like [`Verifier::verify`], with the payload's JSON text as signed, for callers that hand
    /// the claims on as JSON (the npm package): no second serialization, and no map built.
    pub fn verify_to_json(&self, token: &str, now: u64) -> Result<ParsedClaims> {
        let (header, payload) = self.verify_jws(token)?;
        self.finish(&header, payload, now, Proof::Unseen, Read::Text)
    }

    /// Like [`Verifier::verify_to_json`], with the claims map built at once from the same parse,
    /// for callers that read the claims (the issuer).
    pub fn verify_to_claims(&self, token: &str, now: u64) -> Result<ParsedClaims> {
        let (header, payload) = self.verify_jws(token)?;
        self.finish(&header, payload, now, Proof::Unseen, Read::Map)
    }

    /// What a host crypto API (WebCrypto) must check for `token`, with the outcome of every
    /// other rule at `now`: the caller releases `outcome` only once the host has verified the
    /// signature with one of `keys`, and reports a failed signature before any claim error, as
    /// [`Verifier::verify`] does. One parse for both.
    pub fn signature_job(&self, token: &str, now: u64) -> Result<SignatureJob> {
        self.signature_job_with(token, now, Proof::Unseen, Read::Text)
    }

    /// [`Verifier::signature_job`] for a token whose binding the caller checks against the
    /// request's proof (`verify_request`), its claims map built now when `read` asks for it.
    pub(crate) fn signature_job_with(
        &self,
        token: &str,
        now: u64,
        proof: Proof,
        read: Read,
    ) -> Result<SignatureJob> {
        let (jws, mut keys) = self.prepare(token)?;
        // A host API may be laxer about the signature's length than the core (see
        // `PublicKey::fits_signature`): a signature of the wrong length never reaches it.
        // Nor does an Ed25519 signature outside the rules every host shares with the core's.
        keys.retain(|&i| {
            let key = &self.keys.keys()[i].key;
            key.fits_signature(&jws.signature) && key.host_decides_alike(&jws.signature)
        });
        if keys.is_empty() {
            return Err(Error::SignatureVerificationFailed);
        }
        Ok(SignatureJob {
            algorithm: self.keys.keys()[keys[0]].key.algorithm(),
            keys,
            signing_input: jws.signing_input.as_bytes().to_vec(),
            outcome: self.finish(&jws.header, jws.payload, now, proof, read),
            signature: jws.signature,
        })
    }

    /// Whether one of a [`SignatureJob`]'s keys verifies its signature, checked here (where
    /// the host has no crypto API for its algorithm).
    pub fn signature_holds(&self, job: &SignatureJob) -> bool {
        job.keys.iter().any(|&i| {
            self.keys.keys()[i]
                .key
                .verifies(&job.signing_input, &job.signature)
        })
    }

    /// Where key `index` of a [`SignatureJob`] stands in the JWKS it came from, so that a host
    /// crypto API can import it from there.
    pub fn key_position(&self, index: usize) -> Option<usize> {
        self.keys.keys().get(index)?.position
    }

    /// The rules after the signature: `typ`, then the claims, then the binding.
    fn finish(
        &self,
        header: &Header,
        payload: Vec<u8>,
        now: u64,
        proof: Proof,
        read: Read,
    ) -> Result<ParsedClaims> {
        if let Some(typ) = &self.options.typ {
            if !header.typ_is(typ) {
                let actual = header
                    .typ
                    .as_deref()
                    .map_or("none".to_owned(), |t| format!("{t:?}"));
                return Err(Error::unexpected_claim(
                    "typ",
                    format!("{typ:?} (the typ option; null skips the check)"),
                    actual,
                ));
            }
        }
        let (bound, map) = {
            let claims = BorrowedClaims(json::parse_members(&payload).ok_or(NOT_AN_OBJECT)?);
            check_claims(&claims, &self.options, now)?;
            let map = (read == Read::Map).then(|| Claims(json::to_map(&claims.0)));
            (claims.contains("cnf"), map)
        };
        if bound && proof == Proof::Unseen && !self.options.allow_bound_tokens {
            return Err(Error::DpopProofInvalid(
                "the token is bound to a key (cnf) and its DPoP proof cannot be checked here: \
                 verify it with verifyRequest, which checks the proof against the request (or \
                 set allowBoundTokens: true if you check the binding yourself)"
                    .into(),
            ));
        }
        let mut parsed = ParsedClaims::checked(payload)?;
        parsed.kid = header.kid.clone();
        if let Some(map) = map {
            parsed.claims = OnceCell::from(map);
        }
        Ok(parsed)
    }
}

/// What a verification hands back besides the claims' text: the map too, or only when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    Text,
    Map,
}

/// Whether the caller checks a bound token's proof ([`VerifyOptions::allow_bound_tokens`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proof {
    /// No proof can be seen (a token alone).
    Unseen,
    /// The request's proof is checked against the token's binding by the caller.
    Checked,
}

/// A signature for the host to check: the algorithm, the indexes of the keys that may check it
/// (any one verifying is enough), the signed bytes and the signature; and what the token's other
/// rules gave, which counts only if the signature verifies.
#[derive(Debug, Clone)]
pub struct SignatureJob {
    pub algorithm: Algorithm,
    pub keys: Vec<usize>,
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
    pub outcome: Result<ParsedClaims>,
}

const NOT_AN_OBJECT: Error =
    Error::JwtInvalid("payload is not a JSON object without duplicate claim names");

/// A token's claims as the payload's JSON text: a JSON object without repeated names, read
/// into a [`Claims`] map only when a caller asks (the npm package's `verify` hands on the
/// text alone).
#[derive(Debug, Clone)]
pub struct ParsedClaims {
    pub json: String,
    /// The header's `kid`, once the token is verified (the revocation list has an entry per
    /// revoked signing key).
    pub kid: Option<String>,
    claims: OnceCell<Claims>,
}

impl ParsedClaims {
    /// The claims of a payload already read as a JSON object without repeated names.
    fn checked(payload: Vec<u8>) -> Result<Self> {
        // The parser has accepted it, so it is UTF-8.
        let json = String::from_utf8(payload).map_err(|_| NOT_AN_OBJECT)?;
        Ok(ParsedClaims {
            json,
            kid: None,
            claims: OnceCell::new(),
        })
    }

    fn from_payload(payload: Vec<u8>) -> Result<Self> {
        json::parse_members(&payload).ok_or(NOT_AN_OBJECT)?;
        Self::checked(payload)
    }

    /// The claims as a map, read from the text on first use.
    pub fn claims(&self) -> &Claims {
        // The same reader accepted this text as an object when it was checked, so it cannot
        // fail here; were it to, no claim would be read (every typed view then refuses).
        (self.claims)
            .get_or_init(|| Claims(json::parse_object(self.json.as_bytes()).unwrap_or_default()))
    }

    pub fn into_claims(self) -> Claims {
        self.into_parts().0
    }

    /// The claims and the header's `kid`.
    pub fn into_parts(mut self) -> (Claims, Option<String>) {
        (self.take_claims(), self.kid)
    }

    /// The claims map, taken out (the text and `kid` stay).
    pub fn take_claims(&mut self) -> Claims {
        self.claims();
        self.claims.take().unwrap_or_default()
    }
}

/// Whether a token whose `exp` is `exp` has expired at `now`, with `leeway`: as jose, a token
/// is expired from the moment `now - leeway` reaches `exp`.
pub fn expired(exp: f64, now: f64, leeway: f64) -> bool {
    exp <= now - leeway
}

/// Decodes a token's claims without verifying anything but its form (for UIs, never for
/// authorization).
pub fn decode_unverified(token: &str, max_token_length: usize) -> Result<ParsedClaims> {
    ParsedClaims::from_payload(CompactJws::parse(token, max_token_length)?.payload)
}

/// The claim rules, in jose's order: `iss`, `sub`, `jti`, `aud`, then `azp` and the required
/// claim values, then the times.
fn check_claims(claims: &BorrowedClaims, options: &VerifyOptions, now: u64) -> Result<()> {
    let issuer = claims.string("iss")?;
    if let Some(expected) = &options.issuer {
        match issuer {
            None => return Err(Error::invalid_claim("iss", ClaimReason::Missing)),
            Some(iss) if iss != expected => {
                return Err(Error::unexpected_claim(
                    "iss",
                    format!("{expected:?}"),
                    format!("{iss:?}"),
                ))
            }
            Some(_) => {}
        }
    }
    claims.string("sub")?;
    claims.string("jti")?;
    check_audience(claims, options.audience.as_deref())?;
    if let Some(parties) = &options.authorized_parties {
        let azp = claims
            .string("azp")?
            .ok_or(Error::invalid_claim("azp", ClaimReason::Missing))?;
        if !parties.iter().any(|party| party == azp) {
            return Err(Error::unexpected_claim(
                "azp",
                format!("one of {parties:?}"),
                format!("{azp:?}"),
            ));
        }
    }
    for (name, expected) in &options.required_claims {
        match claims.value(name) {
            None => return Err(Error::invalid_claim(name.clone(), ClaimReason::Missing)),
            Some(value) if value != *expected => {
                return Err(Error::unexpected_claim(
                    name.clone(),
                    json::render(expected),
                    json::render(&value),
                ))
            }
            Some(_) => {}
        }
    }

    check_times(
        Times {
            iat: claims.numeric_date("iat")?,
            nbf: claims.numeric_date("nbf")?,
            exp: claims.numeric_date("exp")?,
        },
        options,
        now,
    )?;
    // Last: only a token valid in every other way is refused for its scope (403, not 401).
    if options.required_scopes.is_empty() {
        return Ok(());
    }
    check_scopes(claims.string("scope")?, &options.required_scopes)
}

/// Whether `scope` (a token's space-separated `scope`) carries each of `required`, compared
/// exactly; `InsufficientScope` names what it lacks and all that is required.
pub fn check_scopes(scope: Option<&str>, required: &[String]) -> Result<()> {
    let granted: Vec<&str> = scope.unwrap_or_default().split(' ').collect();
    let missing: Vec<String> = (required.iter())
        .filter(|needed| !granted.contains(&needed.as_str()))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::InsufficientScope {
        missing,
        required: required.to_vec(),
    })
}

/// A token's times (`iat`, `nbf`, `exp`), as its claims hold them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Times {
    pub iat: Option<f64>,
    pub nbf: Option<f64>,
    pub exp: Option<f64>,
}

/// The time rules of [`Verifier::verify`] alone: `iat` and `nbf` not ahead of `now`, `exp`
/// present and not passed, and the maximum age, each with the leeway. A verified-token cache
/// runs them again on every hit.
pub fn check_times(times: Times, options: &VerifyOptions, now: u64) -> Result<()> {
    let Times { iat, nbf, exp } = times;
    let now = now as f64;
    let leeway = options.leeway as f64;
    if let Some(iat) = iat {
        if iat > now + leeway {
            return Err(Error::invalid_claim("iat", ClaimReason::CheckFailed));
        }
    }
    if let Some(nbf) = nbf {
        if nbf > now + leeway {
            return Err(Error::invalid_claim("nbf", ClaimReason::CheckFailed));
        }
    }
    // Short-lived tokens are the point: a token without `exp` is never accepted.
    let exp = exp.ok_or(Error::invalid_claim("exp", ClaimReason::Missing))?;
    if expired(exp, now, leeway) {
        return Err(Error::Expired { claim: "exp" });
    }
    if let Some(max_age) = options.max_age {
        let iat = iat.ok_or(Error::invalid_claim("iat", ClaimReason::Missing))?;
        if now - iat - max_age as f64 > leeway {
            return Err(Error::Expired { claim: "iat" });
        }
    }
    Ok(())
}

fn check_audience(claims: &BorrowedClaims, expected: Option<&str>) -> Result<()> {
    let audiences = claims.audiences()?;
    match expected {
        None => Ok(()),
        Some(_) if audiences.is_empty() => Err(Error::invalid_claim("aud", ClaimReason::Missing)),
        Some(expected) if audiences.contains(&expected) => Ok(()),
        Some(expected) => Err(Error::unexpected_claim(
            "aud",
            format!("{expected:?}"),
            format!("{audiences:?}"),
        )),
    }
}
