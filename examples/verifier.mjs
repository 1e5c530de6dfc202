// Every way to build a verifier, with every option at its default (node verifier.mjs <token>).
import { Verifier, RemoteJwks, JwtError, decode, isExpired, expiresIn } from 'edge-jwt';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:8787';
const audience = `${issuer}/api`;
const token = process.argv[2];

// A key set you hold: a JWKS object, its JSON text, or one JWK.
const jwks = await (await fetch(`${issuer}/.well-known/jwks.json`)).json();
const verifier = new Verifier(jwks, {
  issuer, audience,
  leeway: 30, typ: 'at+jwt', maxTokenLength: 8192,
  algorithms: ['EdDSA', 'ES256'], // allowed; one no key uses yet is fine (written ahead of a rotation)
  requiredClaims: {}, authorizedParties: undefined, // exact claim values; accepted azp values
  allowBoundTokens: false, // DPoP-bound tokens: verifyRequest only
});
const claims = verifier.verify(token); // sync; throws JwtError (Node, Bun, Deno: node:crypto checks the signature)
await verifier.verifyAsync(token); // same rules; ECDSA and RSA signatures by WebCrypto
try {
  verifier.verify(token, { now: claims.exp + 3600 }); // seconds, for tests and replays
} catch (error) {
  if (!(error instanceof JwtError) || error.code !== 'ERR_JWT_EXPIRED') throw error;
}

// Keys fetched and cached, refetched once on an unknown kid.
const remote = Verifier.fromRemote(
  new RemoteJwks(`${issuer}/.well-known/jwks.json`, { cacheMaxAge: 600, cooldown: 30, timeout: 5, maxStale: 3600 }),
  { issuer, audience },
);
await remote.verify(token);

// Or by discovery: OpenID Connect metadata, then RFC 8414; the metadata's issuer must match.
const byIssuer = await Verifier.fromIssuer(issuer, { audience }, { cacheMaxAge: 600, timeout: 5 });
await byIssuer.verify(token);

// Unverified, for UIs and refresh timers.
console.log(decode(token).sub, isExpired(token, { leeway: 30 }), expiresIn(token));
