//! The core, native: sign and verify per algorithm, a full refresh rotation against the
//! in-memory store, and JWKS parsing. Each edge-jwt figure has a baseline measured in the same
//! run: jwt-simple used directly (sign, verify), the bare crypto of a rotation (one verify and
//! two signs with jwt-simple), and serde_json reading the same JWKS (the floor of any parser).
//! `make bench` runs it; benches/report.mjs reads criterion's estimates into the README table.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use edge_jwt_core::keys::{PrivateKey, SigningKey};
use edge_jwt_core::revocation::RevocationList;
use edge_jwt_core::testing::{FixedClock, MemoryStore};
use edge_jwt_core::{
    Algorithm, KeySet, NewSession, Policy, SessionRotation, TokenIssuer, VerificationKeys,
    Verifier, VerifyOptions,
};
use jwt_simple::prelude::*;

const ISSUER: &str = "https://issuer.bench";
const AUDIENCE: &str = "https://api.bench";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn claims() -> JWTClaims<NoCustomClaims> {
    Claims::create(jwt_simple::prelude::Duration::from_secs(300))
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_subject("user-1")
        .with_jwt_id("AAECAwQFBgcICQoLDA0ODw")
}

fn jwt_simple_options() -> VerificationOptions {
    VerificationOptions {
        allowed_issuers: Some(HashSet::from_strings(&[ISSUER])),
        allowed_audiences: Some(HashSet::from_strings(&[AUDIENCE])),
        time_tolerance: Some(jwt_simple::prelude::Duration::from_secs(30)),
        required_signature_type: Some("at+jwt".into()),
        ..Default::default()
    }
}

/// jwt-simple's own sign and verify with the same key as `key`.
fn jwt_simple_sign(key: &SigningKey) -> String {
    let options = HeaderOptions {
        signature_type: Some("at+jwt".into()),
        ..Default::default()
    };
    let token = match key.private_key() {
        PrivateKey::Ed25519(k) => k.sign_with_options(claims(), &options),
        PrivateKey::Es256(k) => k.sign_with_options(claims(), &options),
        PrivateKey::Hs256(k) => k.authenticate_with_options(claims(), &options),
    };
    token.unwrap_or_default()
}

fn jwt_simple_verify(key: &SigningKey, token: &str) -> bool {
    let options = Some(jwt_simple_options());
    match key.private_key() {
        PrivateKey::Ed25519(k) => k
            .public_key()
            .verify_token::<NoCustomClaims>(token, options)
            .is_ok(),
        PrivateKey::Es256(k) => k
            .public_key()
            .verify_token::<NoCustomClaims>(token, options)
            .is_ok(),
        PrivateKey::Hs256(k) => k.verify_token::<NoCustomClaims>(token, options).is_ok(),
    }
}

fn sign_and_verify(c: &mut Criterion) {
    for alg in Algorithm::SIGNING {
        let Ok(key) = SigningKey::generate(alg) else {
            continue;
        };
        let Ok(keys) = KeySet::new(vec![key]) else {
            continue;
        };
        let key = keys.signer();
        let options = VerifyOptions {
            issuer: Some(ISSUER.into()),
            audience: Some(AUDIENCE.into()),
            ..VerifyOptions::default()
        };
        let Ok(verifier) = Verifier::new(keys.verification_keys(), options) else {
            continue;
        };
        let token = key.sign(claims(), "at+jwt").unwrap_or_default();
        assert!(verifier.verify(&token, now()).is_ok() && jwt_simple_verify(key, &token));

        let mut group = c.benchmark_group(alg.name());
        group.bench_function("sign/edge-jwt", |b| b.iter(|| key.sign(claims(), "at+jwt")));
        group.bench_function("sign/jwt-simple", |b| b.iter(|| jwt_simple_sign(key)));
        group.bench_function("verify/edge-jwt", |b| {
            b.iter(|| verifier.verify(&token, now()))
        });
        group.bench_function("verify/jwt-simple", |b| {
            b.iter(|| jwt_simple_verify(key, &token))
        });
        group.finish();
    }
}

/// A key set of one fresh Ed25519 key.
fn eddsa_keys() -> Option<KeySet> {
    KeySet::new(vec![SigningKey::generate(Algorithm::EdDSA).ok()?]).ok()
}

/// An issuer with one fresh Ed25519 key.
fn eddsa_issuer() -> Option<TokenIssuer> {
    TokenIssuer::new(eddsa_keys()?, Policy::new(ISSUER, AUDIENCE)).ok()
}

fn rotation(c: &mut Criterion) {
    let clock = FixedClock::at(now());
    let Some(issuer) = eddsa_issuer() else {
        return;
    };
    let sessions_store = MemoryStore::new(clock.clone());
    let revocations = RevocationList::new(MemoryStore::new(clock.clone()), 30);
    let sessions = SessionRotation {
        issuer: &issuer,
        store: &sessions_store,
        revocations: &revocations,
        clock: &clock,
    };
    let request = NewSession {
        sub: "user-1".into(),
        client_id: "bench".into(),
        ..NewSession::default()
    };
    let start = futures::executor::block_on(sessions.start("session-1", request, now()));
    let mut refresh_token = start.map(|p| p.refresh_token).unwrap_or_default();

    let mut group = c.benchmark_group("rotation");
    group.bench_function("edge-jwt", |b| {
        b.iter(|| {
            // What the Worker does: verify the token, then rotate in the session's store.
            let pair = issuer
                .verify_refresh(&refresh_token, now())
                .and_then(|claims| futures::executor::block_on(sessions.refresh(&claims)));
            refresh_token = pair.map(|p| p.refresh_token).unwrap_or_default();
        })
    });
    // The crypto a rotation cannot avoid: verify the refresh token, sign two new tokens.
    let key = issuer.keys().signer();
    let token = jwt_simple_sign(key);
    group.bench_function("crypto-floor", |b| {
        b.iter(|| {
            let ok = jwt_simple_verify(key, &token);
            (ok, jwt_simple_sign(key), jwt_simple_sign(key))
        })
    });
    group.finish();
}

/// The same rotation for a session bound to a DPoP key (EdDSA): what the Worker adds, checking
/// the proof against the request, and what the session's object adds, its binding and its
/// `jti` kept. The client's signing of each proof is set up outside the measure.
fn rotation_dpop(c: &mut Criterion) {
    use edge_jwt_core::dpop::{jwk_thumbprint, verify_proof, ProofOptions, ProofRequest};
    use edge_jwt_core::dpop_client::{proof_signing_input, ProofClaims};
    use edge_jwt_core::jose::b64;
    use edge_jwt_core::{Clock, Presentation};

    let clock = FixedClock::at(now());
    let (Some(issuer), Some(client)) = (eddsa_issuer(), eddsa_keys()) else {
        return;
    };
    let Some(jwk) = client.public_jwks()["keys"][0].as_object().cloned() else {
        return;
    };
    let PrivateKey::Ed25519(client_pair) = client.signer().private_key() else {
        return;
    };
    let sessions_store = MemoryStore::new(clock.clone());
    let revocations = RevocationList::new(MemoryStore::new(clock.clone()), 30);
    let sessions = SessionRotation {
        issuer: &issuer,
        store: &sessions_store,
        revocations: &revocations,
        clock: &clock,
    };
    let request = NewSession {
        sub: "user-1".into(),
        client_id: "bench".into(),
        dpop_jkt: jwk_thumbprint(&jwk).ok(),
        ..NewSession::default()
    };
    let start = futures::executor::block_on(sessions.start("session-1", request, clock.now()));
    let mut refresh_token = start.map(|p| p.refresh_token).unwrap_or_default();
    const URL: &str = "https://issuer.bench/token";
    let mut n = 0u64;
    let mut proof = || {
        n += 1;
        let jti = format!("proof-{n}");
        let claims = ProofClaims {
            jwk: &jwk,
            algorithm: Algorithm::EdDSA,
            method: "POST",
            url: URL,
            iat: clock.now(),
            jti: &jti,
            access_token: None,
            nonce: None,
        };
        let input = proof_signing_input(&claims).unwrap_or_default();
        let signature = client_pair
            .key_pair()
            .as_ref()
            .sk
            .sign(input.as_bytes(), None);
        format!("{input}.{}", b64::encode(signature.as_ref()))
    };

    let mut group = c.benchmark_group("rotation");
    group.bench_function("edge-jwt with a DPoP proof", |b| {
        b.iter_batched(
            &mut proof,
            |proof| {
                let request = ProofRequest {
                    method: "POST",
                    url: URL,
                    access_token: None,
                    nonce: None,
                    now: clock.now(),
                };
                let presented = Presentation {
                    proof: verify_proof(&proof, &request, &ProofOptions::default()).ok(),
                    client_authenticated: false,
                    resource: None,
                    scope: None,
                };
                let pair = issuer
                    .verify_refresh(&refresh_token, clock.now())
                    .and_then(|claims| {
                        futures::executor::block_on(sessions.refresh_presented(&claims, &presented))
                    });
                // A failed rotation would leave the rest measuring an error path.
                match pair {
                    Ok(rotated) => refresh_token = rotated.pair.refresh_token,
                    Err(err) => panic!("the bound rotation failed: {err}"),
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn jwks_parse(c: &mut Criterion) {
    let keys: Vec<SigningKey> = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::EdDSA]
        .into_iter()
        .filter_map(|alg| SigningKey::generate(alg).ok())
        .collect();
    let Ok(set) = KeySet::new(keys) else {
        return;
    };
    let text = set.public_jwks().to_string();
    assert!(VerificationKeys::from_jwks(&text, None).is_ok());
    let mut group = c.benchmark_group("jwks-parse");
    group.bench_function("edge-jwt", |b| {
        b.iter_batched(
            || text.clone(),
            |t| VerificationKeys::from_jwks(&t, None),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("serde_json", |b| {
        b.iter_batched(
            || text.clone(),
            |t| serde_json::from_str::<serde_json::Value>(&t),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = sign_and_verify, rotation, rotation_dpop, jwks_parse
}
criterion_main!(benches);
