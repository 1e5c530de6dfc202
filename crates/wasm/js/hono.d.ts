// Type declarations of `edge-jwt/hono`.
import type { Jwks, Jwk, JwtClaims, VerifierOptions, RemoteJwks, RemoteJwksOptions, ReplayStore, RevocationStore, ProtectedResourceOptions } from 'edge-jwt';

// `c.get('jwtPayload')` is the verified claims in every Hono app that uses the middleware, as
// with Hono's own `jwt` middleware: no `Variables` to declare.
declare module 'hono' {
  interface ContextVariableMap {
    jwtPayload: JwtClaims;
  }
}

export interface EdgeJwtOptions extends VerifierOptions {
  /** The keys: a key set (object or JSON text), one JWK, or a RemoteJwks. Without it, `issuer` is used for discovery. */
  jwks?: Jwks | Jwk | string | RemoteJwks;
  /**
   * The issuer's revocation list, checked when given: the name of a KV binding (Workers), or a
   * store with `get(key)` (Node, Bun). A binding missing from `c.env` is logged once and every
   * request is answered 503 (fail closed).
   */
  kv?: string | RevocationStore;
  /** RemoteJwks options for the key set found by discovery. */
  remote?: RemoteJwksOptions;
  /** The `realm` of the `WWW-Authenticate` challenge (default `api`). */
  realm?: string;
  /** A replay store for DPoP proofs' `jti`s that every isolate shares (see `RequestOptions.replay`). */
  replay?: ReplayStore;
  /** The URL of the resource's metadata (RFC 9728), named in every 401 challenge (`resource_metadata`). */
  resourceMetadata?: string;
  /** The public origin the resource is served at behind a proxy, for DPoP proofs' `htu` (see `RequestOptions.origin`). */
  origin?: string;
}

/**
 * A Hono middleware that verifies the request's access token (`Authorization: Bearer …`, or
 * `DPoP …` with its proof for a token bound to a key) with `verifyRequest` and sets the claims
 * as `c.get('jwtPayload')`; 401 with an RFC 6750 or RFC 9449 challenge otherwise.
 * @example
 * app.use('/api/*', edgeJwt({ issuer: 'https://auth.example', audience: 'https://api.example', kv: 'EDGE_JWT_KV' }));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function edgeJwt(options: EdgeJwtOptions): (c: any, next: () => Promise<void>) => Promise<Response | void>;

/**
 * A Hono handler serving the resource's metadata (RFC 9728): mount it at the path of
 * `protectedResourceMetadataUrl(resource)` and pass that URL to `edgeJwt` as `resourceMetadata`.
 * @example
 * app.get('/.well-known/oauth-protected-resource/mcp', protectedResource({ resource, authorizationServers: [issuer] }));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function protectedResource(options: ProtectedResourceOptions): (c: any) => Response;

/**
 * A Hono middleware for one route that needs more scopes than `edgeJwt` requires of every token:
 * mounted after `edgeJwt`, a token without each of `scopes` is answered 403 `insufficient_scope`
 * with a challenge naming every scope the route needs (RFC 6750 §3.1), for the client to step up.
 * @example
 * app.post('/mcp/admin', requireScopes(['mcp:admin']), (c) => c.text('ok'));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function requireScopes(scopes: string[] | string): (c: any, next: () => Promise<void>) => Promise<Response | void>;

/**
 * A Hono middleware for a route that takes delegated tokens only (exchanged for it, with `act`),
 * by one of `actors` (`act.sub`) when given: mounted after `edgeJwt`, any other token is answered
 * 401 `invalid_token`.
 * @example
 * app.post('/api/files', requireDelegation(['mcp-server']), (c) => c.json({ for: c.get('jwtPayload').sub }));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function requireDelegation(actors?: string[]): (c: any, next: () => Promise<void>) => Promise<Response | void>;

/**
 * A Hono middleware for a route that takes its subject's own tokens only: mounted after
 * `edgeJwt`, a delegated token (with `act`) is answered 401 `invalid_token`.
 * @example
 * app.post('/api/account/delete', refuseDelegation(), (c) => c.text('deleted'));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function refuseDelegation(): (c: any, next: () => Promise<void>) => Promise<Response | void>;
