// edge-jwt/hono: a Hono middleware that verifies the request's access token with edge-jwt and
// sets its claims as `c.get('jwtPayload')`, as Hono's own `jwt` middleware does. Hono is an
// optional peer dependency: this module never imports it.
import { Verifier, RemoteJwks, JwtError, resourceRefusal, checkScopes, protectedResourceMetadata } from 'edge-jwt';
import { DiscoveryFailed, InvalidOption, JwksFetchFailed, JwksInvalid, StoreUnavailable } from './errors.mjs';
import { scopeList } from './resource.mjs';
import { checkDelegation, requiredActors } from './delegation.mjs';

/** Failures that are not the token's: the keys or the revocation list could not be had. */
const UNAVAILABLE = [StoreUnavailable.code, JwksInvalid.code, JwksFetchFailed.code, DiscoveryFailed.code, InvalidOption.code];

/** Options that are not the Verifier's. */
const OWN = ['jwks', 'kv', 'remote', 'realm', 'replay', 'resourceMetadata', 'origin'];

/**
 * A Hono middleware: `Authorization: Bearer <token>`, or `DPoP <token>` with its `DPoP` proof
 * for a token bound to a key (RFC 9449; schemes case-insensitive, RFC 7235), is verified by
 * `verifyRequest` of a Verifier built once per isolate from `jwks` (a key set, or a
 * RemoteJwks) or by discovery from `issuer`, then checked against the revocation list in `kv`,
 * if given: the name of a KV binding (Workers), or a store with `get(key)` (Node, Bun; see
 * `RevocationStore`); DPoP proofs also against the `replay` store, if given (see
 * `RequestOptions.replay`), and their `htu` against `origin`, if given (behind a proxy).
 * On success the claims are `c.get('jwtPayload')`; otherwise
 * the answer is 401 with an RFC 6750 (or RFC 9449 §7.1, for DPoP) `WWW-Authenticate` challenge
 * and a JSON body `{error, error_description, code}`. With `requiredScopes`, every challenge
 * names them (`scope`), and a valid token without one of them is 403 `insufficient_scope`
 * (a client steps up with them all); `requireScopes` asks more of one route.
 * @example
 * import { Hono } from 'hono';
 * import { edgeJwt } from 'edge-jwt/hono';
 * const app = new Hono();
 * app.use('/api/*', edgeJwt({ issuer: 'https://auth.example', audience: 'https://api.example', kv: 'EDGE_JWT_KV',
 *   requiredScopes: ['api:read'] }));
 * app.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub }));
 */
export function edgeJwt(options = {}) {
  const { jwks, kv, remote = {}, realm = 'api', replay, resourceMetadata, origin } = options;
  if (kv !== undefined && typeof kv !== 'string' && typeof kv?.get !== 'function') {
    throw new InvalidOption('kv must be the name of a KV binding, or a store with get(key) (a RevocationStore)');
  }
  let missingReported = false;
  /** The revocation list: a store given as is, or the binding named `kv` in this request's env. */
  const revocationStore = (c) => {
    if (typeof kv !== 'string') return kv;
    const store = c.env?.[kv];
    if (store) return store;
    const message = `no KV binding named ${kv}: bind the issuer's KV namespace as ${kv} in wrangler.toml, ` +
      'or outside Workers pass kv a store with get(key) (a RevocationStore), or leave kv out to skip the revocation check';
    if (!missingReported) {
      // Once per middleware, not per request: every request fails closed the same way (503).
      missingReported = true;
      console.error(`edge-jwt/hono: ${message}`);
    }
    throw new InvalidOption(message);
  };
  const verifierOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !OWN.includes(k)));
  if (jwks === undefined && typeof verifierOptions.issuer !== 'string') {
    throw new InvalidOption('edgeJwt needs jwks (a key set or a RemoteJwks) or issuer (for discovery)');
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

  const scope = verifierOptions.requiredScopes;
  return async function edgeJwtMiddleware(c, next) {
    const header = c.req.header('Authorization') ?? '';
    const match = /^(Bearer|DPoP)[ ]+[^ ]+[ ]*$/i.exec(header);
    if (!match) {
      // RFC 6750 §3.1: no token (or another scheme) gets the challenge without an error code.
      return refuse(c, null, 'Bearer', { realm, resourceMetadata, scope }, 'a Bearer or DPoP token is required');
    }
    const scheme = /^dpop$/i.test(match[1]) ? 'DPoP' : 'Bearer';
    try {
      const v = await current();
      c.set('jwtPayload', await v.verifyRequest(c.req.raw, { kv: revocationStore(c), replay, origin }));
    } catch (error) {
      if (!(error instanceof JwtError)) throw error;
      if (UNAVAILABLE.includes(error.code)) {
        return c.json({ error: 'temporarily_unavailable', error_description: error.message, code: error.code }, 503);
      }
      return refuse(c, error.code, scheme, { realm, resourceMetadata, scope }, error.message);
    }
    // For `requireScopes` on the routes below: how this middleware refuses.
    c.set(REFUSAL, { scheme, realm, resourceMetadata });
    await next();
  };
}

/** Where `edgeJwt` leaves how it refuses, for `requireScopes`. */
const REFUSAL = 'edgeJwtRefusal';

/**
 * A Hono middleware for one route that needs more scopes than `edgeJwt` requires of every
 * token: after `edgeJwt`, a token without each of `scopes` (exact strings) is answered 403
 * `insufficient_scope`, the challenge naming every scope the route needs, so that the client
 * steps up with them all at once (RFC 6750 §3.1, the MCP authorization revisions).
 * @example
 * app.use('/mcp', edgeJwt({ issuer, audience: resource, resourceMetadata }));
 * app.post('/mcp/admin', requireScopes(['mcp:admin']), (c) => c.text('ok'));
 */
export function requireScopes(scopes) {
  const required = scopeList('requireScopes\'s scopes', scopes);
  if (required.length === 0) {
    throw new InvalidOption('requireScopes needs the scopes the route requires: an array of scope tokens (non-empty strings without spaces)');
  }
  return async function requireScopesMiddleware(c, next) {
    const how = c.get(REFUSAL);
    if (!how) {
      throw new InvalidOption('requireScopes runs after edgeJwt: mount edgeJwt on the route (or a path above it) first');
    }
    try {
      checkScopes(c.get('jwtPayload'), required);
    } catch (error) {
      if (!(error instanceof JwtError)) throw error;
      return refuse(c, error.code, how.scheme, { ...how, scope: required }, error.message);
    }
    await next();
  };
}

/**
 * A Hono middleware for a route that takes delegated tokens only (RFC 8693: exchanged for it,
 * with `act`), by one of `actors` (the exchanging clients, `act.sub`) when given: after
 * `edgeJwt`, any other token is answered 401 `invalid_token`, the description saying what the
 * route takes. Mounted on a path, it holds for every route below it.
 * @example
 * app.use('/api/*', edgeJwt({ issuer, audience: 'https://downstream.example' }));
 * app.post('/api/files', requireDelegation(['mcp-server']), (c) => c.json({ for: c.get('jwtPayload').sub }));
 */
export function requireDelegation(actors) {
  if (actors !== undefined && (!Array.isArray(actors) || actors.length === 0)) {
    throw new InvalidOption('requireDelegation takes the actors required (an array of client ids), or nothing for any actor');
  }
  return delegationRule(actors ?? 'required', 'requireDelegation');
}

/**
 * A Hono middleware for a route that takes its subject's own tokens only: after `edgeJwt`, a
 * delegated token (with `act`) is answered 401 `invalid_token`.
 * @example
 * app.post('/api/account/delete', refuseDelegation(), (c) => c.text('deleted'));
 */
export function refuseDelegation() {
  return delegationRule('refused', 'refuseDelegation');
}

function delegationRule(rule, name) {
  // A rule that cannot be right shows when the app starts, not on the first request.
  if (rule !== 'refused') requiredActors(rule);
  return async function delegationMiddleware(c, next) {
    const how = c.get(REFUSAL);
    if (!how) {
      throw new InvalidOption(`${name} runs after edgeJwt: mount edgeJwt on the route (or a path above it) first`);
    }
    try {
      checkDelegation(c.get('jwtPayload'), rule);
    } catch (error) {
      if (!(error instanceof JwtError)) throw error;
      return refuse(c, error.code, how.scheme, how, error.message);
    }
    await next();
  };
}

/** The core's refusal (RFC 6750 §3, RFC 9449 §7.1): its status, challenge and a JSON body, never cached. */
function refuse(c, code, scheme, { realm, resourceMetadata, scope }, description) {
  // A missing token's challenge carries no error (RFC 6750 §3.1); the body says what is wanted.
  const { error, challenge, status } = resourceRefusal(code, scheme,
    { realm, resourceMetadata, scope, description: code ? description : undefined });
  c.header('WWW-Authenticate', challenge);
  // An answer about one request's credentials: a shared cache must not hand it to another.
  c.header('Cache-Control', 'no-store');
  return c.json({ error, error_description: description, ...(code ? { code } : {}) }, status);
}

/**
 * A Hono handler serving the resource's metadata (RFC 9728): mount it at
 * `protectedResourceMetadataUrl(resource)`'s path, and give `edgeJwt` that URL as
 * `resourceMetadata`, so that a client refused without a token finds where to get one.
 * @example
 * const resource = 'https://mcp.example/mcp';
 * app.get('/.well-known/oauth-protected-resource/mcp',
 *   protectedResource({ resource, authorizationServers: ['https://auth.example'] }));
 */
export function protectedResource(options) {
  const metadata = protectedResourceMetadata(options);
  return (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    c.header('Access-Control-Allow-Origin', '*');
    return c.json(metadata);
  };
}
