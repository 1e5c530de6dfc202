// edge-jwt/hono: a Hono middleware that verifies the request's access token with edge-jwt and
// sets its claims as `c.get('jwtPayload')`, as Hono's own `jwt` middleware does. Hono is an
// optional peer dependency: this module never imports it.
import { Verifier, RemoteJwks, JwtError } from 'edge-jwt';

/** The codes of a failed DPoP proof, or of a bound token sent without one. */
const DPOP_CODES = ['ERR_DPOP_PROOF_INVALID', 'ERR_DPOP_BINDING_MISMATCH', 'ERR_DPOP_REPLAYED', 'ERR_DPOP_NONCE_REQUIRED'];

/** Options that are not the Verifier's. */
const OWN = ['jwks', 'kv', 'remote', 'realm', 'replay'];

/**
 * A Hono middleware: `Authorization: Bearer <token>`, or `DPoP <token>` with its `DPoP` proof
 * for a token bound to a key (RFC 9449; schemes case-insensitive, RFC 7235), is verified by
 * `verifyRequest` of a Verifier built once per isolate from `jwks` (a key set, or a
 * RemoteJwks) or by discovery from `issuer`, then checked against the revocation list in the
 * KV binding named `kv`, if given (and DPoP proofs against the `replay` store, if given: see
 * `RequestOptions.replay`). On success the claims are `c.get('jwtPayload')`; otherwise
 * the answer is 401 with an RFC 6750 (or RFC 9449 §7.1, for DPoP) `WWW-Authenticate` challenge
 * and a JSON body `{error, error_description, code}`.
 * @example
 * import { Hono } from 'hono';
 * import { edgeJwt } from 'edge-jwt/hono';
 * const app = new Hono();
 * app.use('/api/*', edgeJwt({ issuer: 'https://auth.example', audience: 'https://api.example', kv: 'EDGE_JWT_KV' }));
 * app.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub }));
 */
export function edgeJwt(options = {}) {
  const { jwks, kv, remote = {}, realm = 'api', replay } = options;
  const verifierOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !OWN.includes(k)));
  if (jwks === undefined && typeof verifierOptions.issuer !== 'string') {
    throw new JwtError('ERR_INVALID_OPTION', 'edgeJwt needs jwks (a key set or a RemoteJwks) or issuer (for discovery)');
  }
  let verifier;
  const current = () => {
    verifier ??= (async () => {
      if (jwks instanceof RemoteJwks) return Verifier.fromRemote(jwks, verifierOptions);
      if (jwks !== undefined) return new Verifier(jwks, verifierOptions);
      return Verifier.fromIssuer(verifierOptions.issuer, verifierOptions, remote);
    })().catch((error) => {
      verifier = undefined; // a failed discovery is tried again by the next request
      throw error;
    });
    return verifier;
  };

  return async function edgeJwtMiddleware(c, next) {
    const header = c.req.header('Authorization') ?? '';
    const match = /^(Bearer|DPoP)[ ]+[^ ]+[ ]*$/i.exec(header);
    if (!match) {
      // RFC 6750 §3.1: no token (or another scheme) gets the challenge without an error code.
      return challenge(c, 'Bearer', realm, null, { error: 'invalid_request', error_description: 'a Bearer or DPoP token is required' });
    }
    const scheme = /^dpop$/i.test(match[1]) ? 'DPoP' : 'Bearer';
    try {
      const v = await current();
      const store = kv === undefined ? undefined : c.env?.[kv];
      if (kv !== undefined && !store) throw new JwtError('ERR_INVALID_OPTION', `no KV binding named ${kv}`);
      c.set('jwtPayload', await v.verifyRequest(c.req.raw, { kv: store, replay }));
    } catch (error) {
      if (!(error instanceof JwtError)) throw error;
      if (['ERR_STORE_UNAVAILABLE', 'ERR_JWKS_INVALID', 'ERR_DISCOVERY_FAILED', 'ERR_INVALID_OPTION'].includes(error.code)) {
        // Not the token's fault: the keys or the revocation list could not be had.
        return c.json({ error: 'temporarily_unavailable', error_description: error.message, code: error.code }, 503);
      }
      if (DPOP_CODES.includes(error.code)) {
        // RFC 9449 §7.1: a proof's failure, or a bound token sent without one.
        return challenge(c, 'DPoP', realm, 'invalid_dpop_proof', { error: 'invalid_dpop_proof', error_description: error.message, code: error.code });
      }
      return challenge(c, scheme, realm, 'invalid_token', { error: 'invalid_token', error_description: error.message, code: error.code });
    }
    await next();
  };
}

function challenge(c, scheme, realm, error, body) {
  const quoted = (text) => `"${String(text).replace(/["\\]/g, '')}"`;
  const params = [`realm=${quoted(realm)}`];
  if (error) params.push(`error=${quoted(error)}`, `error_description=${quoted(body.error_description)}`);
  // The DPoP challenge names the proof algorithms verifyRequest accepts (RFC 9449 §7.1).
  if (scheme === 'DPoP') params.push('algs="EdDSA ES256"');
  c.header('WWW-Authenticate', `${scheme} ${params.join(', ')}`);
  return c.json(body, 401);
}
