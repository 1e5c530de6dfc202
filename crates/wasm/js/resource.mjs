// A resource server's side of OAuth: how it refuses a request (the core's rules,
// `resourceRefusal` in crates/wasm/src/lib.rs, so the issuer's own resource, the Hono middleware
// and yours answer alike), and where it says its tokens come from (RFC 9728).
import * as wasm from './edge_jwt.js';
import { InvalidOption, call } from './errors.mjs';

/**
 * The RFC 6750 §3 / RFC 9449 §7.1 answer to a refused request: the OAuth `error` for the body,
 * the `WWW-Authenticate` challenge and the `status`, for a `JwtError`'s `code` (none: no token at
 * all) and the scheme the token came with. A DPoP challenge names the proof algorithms
 * `verifyRequest` takes; with `resourceMetadata`, the challenge says where the resource's
 * metadata is (RFC 9728 §5.1); with `scope`, every scope the request needs (RFC 6750 §3), so a
 * client asks for them all. `ERR_INSUFFICIENT_SCOPE` (a valid token without a required scope,
 * from `requiredScopes` or `checkScopes`) is 403 `insufficient_scope`; everything else is 401.
 * @example
 * const { error, challenge, status } = resourceRefusal(e.code, 'Bearer', { realm: 'api', description: e.message, scope: ['mcp:tools'] });
 * return new Response(JSON.stringify({ error, error_description: e.message, code: e.code }),
 *   { status, headers: { 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store' } });
 */
export function resourceRefusal(code, scheme = 'Bearer', { realm, description, resourceMetadata, scope } = {}) {
  const [error, challenge, status] = wasm.resourceRefusal(code ?? undefined, scheme, realm, description,
    resourceMetadata, scopeText('scope', scope));
  return { error, challenge, status };
}

/** Scopes given as an array of scope tokens, or as one space-separated string. */
export function scopeList(name, scope) {
  const list = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : scope;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s !== '' && !s.includes(' '))) {
    throw new InvalidOption(`${name} must be an array of scope tokens (non-empty strings without spaces) or a space-separated string`);
  }
  return list;
}

function scopeText(name, scope) {
  return scope === undefined ? undefined : scopeList(name, scope).join(' ');
}

/**
 * Checks that verified `claims` carry every scope in `requiredScopes` (exact strings, the
 * core's rule, as the Verifier option `requiredScopes` checks them): throws a JwtError with code
 * `ERR_INSUFFICIENT_SCOPE` naming what is missing, for `resourceRefusal` to answer 403. For a
 * route that needs more than the verifier requires of every token.
 * @example
 * const claims = await verifier.verifyRequest(request);
 * checkScopes(claims, ['mcp:tools:write']);
 */
export function checkScopes(claims, requiredScopes) {
  const required = scopeList('requiredScopes', requiredScopes);
  const scope = typeof claims?.scope === 'string' ? claims.scope : undefined;
  call(() => wasm.checkScopes(scope, required));
}

function absolute(name, value) {
  try {
    const url = new URL(value);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && !url.hash) return url;
  } catch {
    // reported below
  }
  throw new InvalidOption(`${name} must be an absolute http(s) URL without a fragment, not ${JSON.stringify(value)}`);
}

/**
 * The resource's metadata (RFC 9728 §2), to serve at `protectedResourceMetadataUrl(resource)`:
 * its identifier (the `aud` of its tokens) and the authorization servers that issue them.
 * @example
 * const metadata = protectedResourceMetadata({ resource: 'https://mcp.example/mcp',
 *   authorizationServers: ['https://auth.example'], scopesSupported: ['mcp:tools'] });
 */
export function protectedResourceMetadata({ resource, authorizationServers, scopesSupported, resourceName } = {}) {
  absolute('resource', resource);
  if (!Array.isArray(authorizationServers) || authorizationServers.length === 0) {
    throw new InvalidOption('authorizationServers must list the issuers of the tokens (at least one URL)');
  }
  authorizationServers.forEach((server) => absolute('authorizationServers[]', server));
  if (scopesSupported !== undefined && !(Array.isArray(scopesSupported) && scopesSupported.every((s) => typeof s === 'string'))) {
    throw new InvalidOption('scopesSupported must be an array of strings');
  }
  if (scopesSupported?.includes('offline_access')) {
    // The MCP authorization revisions: refresh tokens are the authorization server's business.
    throw new InvalidOption("scopesSupported must not list offline_access: it is the authorization server's scope, not a resource's");
  }
  return {
    resource,
    authorization_servers: authorizationServers,
    bearer_methods_supported: ['header'],
    ...(scopesSupported ? { scopes_supported: scopesSupported } : {}),
    ...(resourceName ? { resource_name: resourceName } : {}),
  };
}

/**
 * Where a resource's metadata is served (RFC 9728 §3.1): `/.well-known/oauth-protected-resource`
 * inserted between the resource's origin and its path.
 * @example
 * protectedResourceMetadataUrl('https://mcp.example/mcp'); // 'https://mcp.example/.well-known/oauth-protected-resource/mcp'
 */
export function protectedResourceMetadataUrl(resource) {
  const url = absolute('resource', resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}${url.search}`;
}
