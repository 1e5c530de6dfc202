// The token every verify benchmark and profile checks: an access token of `alg` with the
// claims an issuer of this kind writes, signed by jose, and the JWK that verifies it.
import * as jose from 'jose';

/** The HS256 secret: fixed, so runs compare. */
export const SECRET = new Uint8Array(32).map((_, i) => i * 7 + 1);

/** `{ token, jwk, signingKey }` for `alg`, issued now for an hour (`iss`, `aud` as the benchmarks expect). */
export async function sampleToken(alg) {
  let signingKey = SECRET;
  let jwk = { kty: 'oct', k: jose.base64url.encode(SECRET), alg, kid: 'k' };
  if (alg !== 'HS256') {
    const pair = await jose.generateKeyPair(alg, { extractable: true });
    signingKey = pair.privateKey;
    jwk = { ...(await jose.exportJWK(pair.publicKey)), alg, kid: 'k' };
  }
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({ sub: 'user-1', sid: 's', client_id: 'c', scope: 'read write' })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k' }).setIssuer('https://issuer.test')
    .setAudience('https://api.test').setIssuedAt(now).setJti('j').setExpirationTime(now + 3600).sign(signingKey);
  return { token, jwk, signingKey };
}
