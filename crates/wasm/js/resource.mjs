// A resource server's side of OAuth: how it refuses a request (the core's rules,
// `resourceRefusal` in crates/wasm/src/lib.rs, so the issuer's own resource, the Hono middleware
// and yours answer alike), and where it says its tokens come from (RFC 9728).
import * as wasm from './edge_jwt.js';
import { InvalidOption } from './errors.mjs';

/**
 * The RFC 6750 §3 / RFC 9449 §7.1 answer to a refused request: the OAuth `error` for the body,
 * and the `WWW-Authenticate` challenge, for a `JwtError`'s `code` (none: no token at all) and the
 * scheme the token came with. A DPoP challenge names the proof algorithms `verifyRequest` takes;
 * with `resourceMetadata`, the challenge says where the resource's metadata is (RFC 9728 §5.1).
 * @example
 * const { error, challenge } = resourceRefusal(e.code, 'Bearer', { realm: 'api', description: e.message });
 * return new Response(JSON.stringify({ error, error_description: e.message, code: e.code }),
 *   { status: 401, headers: { 'WWW-Authenticate': challenge, 'Cache-Control': 'no-store' } });
 */
export function resourceRefusal(code, scheme = 'Bearer', { realm, description, resourceMetadata } = {}) {
  const [error, challenge] = wasm.resourceRefusal(code ?? undefined, scheme, realm, description, resourceMetadata);
  return { error, challenge };
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
