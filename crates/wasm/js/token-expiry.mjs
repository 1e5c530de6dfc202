// When a token expires, read from its payload without verifying anything and without wasm: what
// a browser session needs for its refresh timer (it never authorizes anything on it; resource
// servers verify, `exp` included, with the Verifier).
import { ClaimInvalid, JwsInvalid } from './errors.mjs';

/**
 * The `exp` of `token` (seconds), unverified. Throws `ERR_JWS_INVALID` for a string that is not
 * a compact JWS with a JSON payload, `ERR_JWT_CLAIM_VALIDATION_FAILED` for one without a numeric `exp`.
 */
export function expiryOf(token) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    throw new JwsInvalid('not a compact JWS: expected three base64url segments separated by dots');
  }
  let claims;
  try {
    const binary = atob(parts[1].replaceAll('-', '+').replaceAll('_', '/'));
    claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw new JwsInvalid('not a compact JWS: the payload is not base64url-encoded JSON');
  }
  const exp = claims?.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new ClaimInvalid('the token has no numeric "exp" claim', { claim: 'exp', reason: 'missing' });
  }
  return exp;
}
