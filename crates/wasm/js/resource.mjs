// How a resource server refuses a request: the core's rules (`resourceRefusal` in
// crates/wasm/src/lib.rs), so the issuer's own resource, the Hono middleware and yours answer
// alike.
import * as wasm from './edge_jwt.js';

/**
 * The RFC 6750 §3 / RFC 9449 §7.1 answer to a refused request: the OAuth `error` for the body,
 * and the `WWW-Authenticate` challenge, for a `JwtError`'s `code` (none: no token at all) and the
 * scheme the token came with. A DPoP challenge names the proof algorithms `verifyRequest` takes.
 * @example
 * const { error, challenge } = resourceRefusal(e.code, 'Bearer', { realm: 'api', description: e.message });
 * return new Response(JSON.stringify({ error, error_description: e.message, code: e.code }),
 *   { status: 401, headers: { 'WWW-Authenticate': challenge } });
 */
export function resourceRefusal(code, scheme = 'Bearer', { realm, description } = {}) {
  const [error, challenge] = wasm.resourceRefusal(code ?? undefined, scheme, realm, description);
  return { error, challenge };
}
