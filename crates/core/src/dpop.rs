//! DPoP proofs (RFC 9449): a JWT the client signs with a key it holds, for one request, which
//! binds tokens to that key. This module checks a proof against the request it came with (§4.3)
//! and computes the key's RFC 7638 thumbprint, which a bound token carries as `cnf.jkt` (§6).
//! Whether a proof's `jti` was seen before is for the caller's store: [`SeenProofs`] keeps them
//! in memory, for one verifier.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::jose::{b64, json, CompactJws};
use crate::keys::{parse_jwk, Algorithm, PublicKey};

/// The `typ` of a DPoP proof (§4.2).
pub const PROOF_TYP: &str = "dpop+jwt";
/// The algorithms a proof may be signed with by default: asymmetric, and the ones browsers'
/// WebCrypto can hold as non-extractable keys (`dpop_signing_alg_values_supported`).
pub const DEFAULT_PROOF_ALGORITHMS: [Algorithm; 2] = [Algorithm::EdDSA, Algorithm::ES256];
/// How old a proof's `iat` may be by default, in seconds (§11.1: "a short window").
pub const DEFAULT_PROOF_MAX_AGE: u64 = 60;
/// Longest proof read, in bytes: a header with a public JWK and a few claims.
pub const MAX_PROOF_LENGTH: usize = 4096;
/// Longest `jti` accepted: it is stored for replay detection.
pub const MAX_JTI_LENGTH: usize = 128;

/// How proofs are checked. `Default` gives the defaults above and a 5-second leeway for `iat`
/// in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// Algorithms accepted; never HS256 (a proof must be verifiable by anyone). Default EdDSA and
    /// ES256.
    pub algorithms: Vec<Algorithm>,
    /// Oldest `iat` accepted, in seconds before now. Default 60.
    pub max_age: u64,
    /// How far in the future `iat` may be (clock skew), in seconds. Default 5.
    pub leeway: u64,
}

impl Default for ProofOptions {
    fn default() -> Self {
        ProofOptions {
            algorithms: DEFAULT_PROOF_ALGORITHMS.to_vec(),
            max_age: DEFAULT_PROOF_MAX_AGE,
            leeway: 5,
        }
    }
}

/// The request a proof came with.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The HTTP method, compared exactly with `htm` (methods are case-sensitive).
    pub method: &'a str,
    /// The request's URL; its query and fragment are not compared (§4.3 step 9).
    pub url: &'a str,
    /// The access token presented with the proof, if any: the proof must then carry its hash
    /// as `ath` (§4.3 step 12).
    pub access_token: Option<&'a str>,
    /// The nonce the server gave the client, if it uses nonces (§8).
    pub nonce: Option<&'a str>,
    /// The time to check `iat` against, in seconds since the epoch.
    pub now: u64,
}

/// A proof that passed every check of §4.3 but the replay check. Serializable, so that an
/// adapter that checked it can hand it to the store that checks its `jti` (the Worker to a
/// session's Durable Object).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DpopProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key: what a bound token's `cnf.jkt` is.
    pub jkt: String,
    pub jti: String,
    pub iat: u64,
}

impl DpopProof {
    /// Whether the proof is signed by the key a token or session is bound to.
    pub fn check_binding(&self, jkt: &str) -> Result<()> {
        if self.jkt == jkt {
            Ok(())
        } else {
            Err(Error::DpopBindingMismatch)
        }
    }
}

fn invalid(why: &str) -> Error {
    Error::DpopProofInvalid(why.to_owned())
}

/// Checks `proof` (the `DPoP` header's value) against `request` (RFC 9449 §4.3 steps 2-12; the
/// caller checks that there was exactly one header, and the `jti` for replay).
pub fn verify_proof(
    proof: &str,
    request: &ProofRequest<'_>,
    options: &ProofOptions,
) -> Result<DpopProof> {
    proof_job(proof, request, options)?.finish(None)
}

/// A proof whose every check ran but its signature's: the key from its `jwk` header, the signed
/// bytes and the signature, for the core or a host's WebCrypto to verify; and the outcome of
/// the other checks, which counts only once the signature holds.
#[derive(Debug, Clone)]
pub struct ProofJob {
    pub key: PublicKey,
    /// The `jwk` header (public members only: a private one is refused), for a host to import.
    pub jwk: Map<String, Value>,
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
    pub outcome: Result<DpopProof>,
}

impl ProofJob {
    /// The proof, once its signature holds: `signature_valid` is a host's verdict, or `None` to
    /// check it here. A signature of the wrong length for the key fails either way.
    pub fn finish(self, signature_valid: Option<bool>) -> Result<DpopProof> {
        let valid = self.key.fits_signature(&self.signature)
            && signature_valid
                .unwrap_or_else(|| self.key.verifies(&self.signing_input, &self.signature));
        if !valid {
            return Err(invalid(
                "the signature does not verify with the jwk header's key",
            ));
        }
        self.outcome
    }
}

/// [`verify_proof`] but the signature: what fails before it (a proof that cannot be read, its
/// `typ`, `alg` and key) is the error; the rest is the job's outcome.
pub fn proof_job(
    proof: &str,
    request: &ProofRequest<'_>,
    options: &ProofOptions,
) -> Result<ProofJob> {
    let jws = CompactJws::parse(proof, MAX_PROOF_LENGTH)
        .map_err(|e| Error::DpopProofInvalid(format!("not a compact JWS ({e})")))?;
    if !jws.header.typ_is(PROOF_TYP) {
        return Err(invalid("typ must be dpop+jwt"));
    }
    let alg = Algorithm::from_name(&jws.header.alg)
        .filter(|alg| *alg != Algorithm::HS256 && options.algorithms.contains(alg))
        .ok_or_else(|| {
            Error::DpopProofInvalid(format!(
                "alg \"{}\" is not accepted: a proof is signed with an asymmetric key (EdDSA or \
                 ES256 unless configured otherwise)",
                jws.header.alg
            ))
        })?;
    // The key is the proof's own `jwk` header, read here and nowhere else.
    let header_segment = proof.split('.').next().unwrap_or_default();
    let header = b64::decode(header_segment)
        .and_then(|bytes| json::parse_object(&bytes))
        .ok_or_else(|| invalid("the header cannot be read"))?;
    let jwk = match header.get("jwk") {
        Some(Value::Object(jwk)) => jwk.clone(),
        _ => return Err(invalid("the jwk header is missing or not an object")),
    };
    if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
        .iter()
        .any(|member| jwk.contains_key(*member))
    {
        return Err(invalid("the jwk header carries private key material"));
    }
    let key = parse_jwk(jwk.clone(), alg)
        .map_err(|e| Error::DpopProofInvalid(format!("the jwk header is not a usable key: {e}")))?;
    Ok(ProofJob {
        outcome: proof_claims(&jws.payload, &jwk, request, options),
        key,
        jwk,
        signing_input: jws.signing_input.as_bytes().to_vec(),
        signature: jws.signature,
    })
}

/// The checks of a proof's claims (§4.3 steps 8-12), and its thumbprint.
fn proof_claims(
    payload: &[u8],
    jwk: &Map<String, Value>,
    request: &ProofRequest<'_>,
    options: &ProofOptions,
) -> Result<DpopProof> {
    let claims =
        json::parse_object(payload).ok_or_else(|| invalid("the payload is not a JSON object"))?;
    let text = |name: &str| match claims.get(name) {
        Some(Value::String(value)) => Ok(Some(value.as_str())),
        None => Ok(None),
        Some(_) => Err(Error::DpopProofInvalid(format!("{name} must be a string"))),
    };
    let jti = text("jti")?
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LENGTH)
        .ok_or_else(|| invalid("jti is missing, empty or longer than 128 bytes"))?;
    if text("htm")?.ok_or_else(|| invalid("htm is missing"))? != request.method {
        return Err(invalid("htm is not the request's method"));
    }
    let htu = text("htu")?.ok_or_else(|| invalid("htu is missing"))?;
    if htu.contains(['?', '#']) {
        return Err(invalid("htu must not have a query or a fragment"));
    }
    match (normalize_url(htu), normalize_url(request.url)) {
        (Some(claimed), Some(actual)) if claimed == actual => {}
        _ => return Err(invalid("htu is not the request's URL")),
    }
    let iat = match claims.get("iat") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| invalid("iat must be a whole number"))?,
        _ => return Err(invalid("iat is missing")),
    };
    if iat > request.now + options.leeway {
        return Err(invalid("iat is in the future"));
    }
    if iat + options.max_age < request.now {
        return Err(invalid("iat is too old: make a new proof for each request"));
    }
    match (request.access_token, text("ath")?) {
        (Some(token), Some(ath)) if ath == access_token_hash(token) => {}
        (Some(_), Some(_)) => return Err(invalid("ath is not the hash of the access token")),
        (Some(_), None) => return Err(invalid("ath is missing")),
        (None, _) => {}
    }
    if let Some(expected) = request.nonce {
        if text("nonce")? != Some(expected) {
            return Err(Error::DpopNonceRequired);
        }
    }
    Ok(DpopProof {
        jkt: jwk_thumbprint(jwk)?,
        jti: jti.to_owned(),
        iat,
    })
}

/// The proof in a request's `DPoP` header, checked against `request`; `None` when there is no
/// header.
pub fn header_proof(
    header: Option<&str>,
    request: &ProofRequest<'_>,
    options: &ProofOptions,
) -> Result<Option<DpopProof>> {
    header_proof_job(header, request, options)?
        .map(|job| job.finish(None))
        .transpose()
}

/// [`header_proof`] but the signature. Exactly one header is allowed (§4.3 step 1): a Fetch
/// `Headers` joins repeated ones with `, `, which no compact JWS contains.
pub fn header_proof_job(
    header: Option<&str>,
    request: &ProofRequest<'_>,
    options: &ProofOptions,
) -> Result<Option<ProofJob>> {
    let Some(header) = header else {
        return Ok(None);
    };
    if header.contains(',') {
        return Err(invalid("more than one DPoP header"));
    }
    proof_job(header.trim(), request, options).map(Some)
}

/// Whether `text` has the shape of a SHA-256 JWK thumbprint: 43 base64url characters (what a
/// client sends as `dpop_jkt`, and a bound token carries as `cnf.jkt`).
pub fn is_thumbprint(text: &str) -> bool {
    text.len() == 43 && b64::decode(text).is_some_and(|bytes| bytes.len() == 32)
}

/// `ath` (§4.2): the base64url SHA-256 of the access token's ASCII text.
pub fn access_token_hash(access_token: &str) -> String {
    b64::encode(&hmac_sha256::Hash::hash(access_token.as_bytes()))
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK: the required members of its key type, in
/// lexicographic order, without whitespace.
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> Result<String> {
    let members: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        Some("RSA") => &["e", "kty", "n"],
        _ => {
            return Err(invalid(
                "the key type has no thumbprint here (EC, OKP or RSA)",
            ))
        }
    };
    let mut canonical = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let value = jwk
            .get(*name)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::DpopProofInvalid(format!("the jwk has no \"{name}\"")))?;
        if i > 0 {
            canonical.push(',');
        }
        // Member values here are base64url or short names: nothing JSON would escape.
        if value.contains(['"', '\\']) || value.chars().any(char::is_control) {
            return Err(invalid("the jwk has a malformed member"));
        }
        canonical.push_str(&format!("\"{name}\":\"{value}\""));
    }
    canonical.push('}');
    Ok(b64::encode(&hmac_sha256::Hash::hash(canonical.as_bytes())))
}

/// A URL as `htu` compares it (RFC 3986 §6.2.2, §6.2.3): scheme and host in lower case, the
/// scheme's default port dropped, an empty path as `/`, no query or fragment. `None` for
/// anything but an absolute http(s) URL without user information.
fn normalize_url(url: &str) -> Option<String> {
    let url = url.split(['?', '#']).next()?;
    let (scheme, rest) = url.split_once(':')?;
    let rest = rest.strip_prefix("//")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    // An IPv6 literal is bracketed; a port follows the last colon outside the brackets.
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']')?;
            let host = &authority[..inside.len() + 2];
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority.as_str(), None),
        },
    };
    if host.is_empty() || !port.unwrap_or("").bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host = match port {
        None | Some("") => host.to_owned(),
        Some(port) if port == default_port => host.to_owned(),
        Some(port) => format!("{host}:{port}"),
    };
    Some(format!("{scheme}://{host}{path}"))
}

/// The proofs a verifier has seen, by `jti`, each kept until it could no longer pass the `iat`
/// check: a proof seen twice is a replay (§11.1). In memory, for one verifier (one isolate);
/// a deployment with many isolates keeps them in a shared store, as the issuer does. A list,
/// searched whole: at the sizes a verifier keeps (about a minute of proofs) that costs
/// microseconds, and a tree or a hash table would cost the npm package kilobytes.
#[derive(Debug)]
pub struct SeenProofs {
    /// (forget after, jti), in the order they came.
    arrivals: std::collections::VecDeque<(u64, String)>,
    /// Most entries kept: past it, the oldest are dropped (and a replay of theirs would pass).
    capacity: usize,
}

impl SeenProofs {
    /// A set that keeps at most `capacity` proofs (at least one).
    pub fn new(capacity: usize) -> Self {
        SeenProofs {
            arrivals: Default::default(),
            capacity: capacity.max(1),
        }
    }

    /// How many proofs are kept.
    pub fn len(&self) -> usize {
        self.arrivals.len()
    }

    /// Whether no proof is kept.
    pub fn is_empty(&self) -> bool {
        self.arrivals.is_empty()
    }

    /// Records `proof`, or fails with `DpopReplayed` if its `jti` was seen and is still kept.
    pub fn remember(&mut self, proof: &DpopProof, now: u64, options: &ProofOptions) -> Result<()> {
        while self.arrivals.front().is_some_and(|(until, _)| *until < now) {
            self.arrivals.pop_front();
        }
        if self.arrivals.iter().any(|(_, jti)| *jti == proof.jti) {
            return Err(Error::DpopReplayed);
        }
        while self.arrivals.len() >= self.capacity {
            self.arrivals.pop_front();
        }
        let until = proof.iat + options.max_age + options.leeway;
        self.arrivals.push_back((until, proof.jti.clone()));
        Ok(())
    }
}
