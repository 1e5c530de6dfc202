// An issuer's EdDSA key for the package's tests: its public JWKS, and the access tokens it signs
// (jose signs them: a signer no one here wrote).
import * as jose from 'jose';

/** `{ jwks, token(claims, exp) }`: `claims` may set `sub`, `jti` and `iat` (default: now). */
export async function issuerKey(iss) {
  const pair = await jose.generateKeyPair('EdDSA', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] };
  const token = (claims = {}, exp = '5m') => new jose.SignJWT({ sid: 's1', client_id: 'c', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(iss).setSubject(claims.sub ?? 'alice').setJti(claims.jti ?? crypto.randomUUID())
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000)).setExpirationTime(exp).sign(pair.privateKey);
  return { jwks, token };
}
