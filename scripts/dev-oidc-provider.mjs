// A real OpenID provider on loopback for local runs and the end-to-end tests: oidc-provider (an
// OpenID-certified implementation) with its own development login and consent pages, where any
// login and password sign in (the account's id is the login; its email <login>@example.com,
// verified). Its one client is the issuer, whose callback is <issuer>/signin/callback.
//
//   node scripts/dev-oidc-provider.mjs [port] [issuer]    (make dev SIGNIN=local starts it)
//   node scripts/dev-oidc-provider.mjs --upstream [port]  (prints the issuer's EDGE_JWT_UPSTREAMS)
//
// Never for production: the login checks no password.
import { pathToFileURL } from 'node:url';
import * as jose from 'jose';
import Provider from 'oidc-provider';

export const DEV_CLIENT = { client_id: 'edge-jwt-dev', client_secret: 'edge-jwt-dev-upstream-secret' };

/**
 * Starts the provider on 127.0.0.1:`port` for an issuer at `issuer`; resolves to `{ base,
 * upstream, close }`, `upstream` being the issuer's `EDGE_JWT_UPSTREAMS` entry for it. A login
 * named in `refused` gets an email outside example.com (for allow-list tests).
 */
export async function startOidcProvider({ port, issuer, id = 'local', allow, claims = ['email', 'name'] }) {
  const base = `http://127.0.0.1:${port}`;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const signing = { ...(await jose.exportJWK(privateKey)), kid: 'dev-rs256', alg: 'RS256', use: 'sig' };
  const provider = new Provider(base, {
    clients: [{
      ...DEV_CLIENT,
      redirect_uris: [`${issuer}/signin/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signing] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Claims in the ID token itself, not only at the userinfo endpoint.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['edge-jwt-dev-provider-cookie-key'] },
    async findAccount(_ctx, login) {
      const domain = login.startsWith('outsider') ? 'elsewhere.test' : 'example.com';
      return {
        accountId: login,
        async claims() {
          return { sub: login, email: `${login}@${domain}`, email_verified: true, name: `Dev ${login}` };
        },
      };
    },
  });
  // Quiet: its development warnings are for its own deployments.
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider:', error));
  const server = provider.listen(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return { base, upstream: devUpstream(base, { id, allow, claims }), close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The issuer's `EDGE_JWT_UPSTREAMS` entry for the provider at `base`. */
export function devUpstream(base, { id = 'local', allow, claims = ['email', 'name'] } = {}) {
  return { id, name: 'Local OpenID provider', issuer: base, ...DEV_CLIENT, claims, ...(allow ? { allow } : {}) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--upstream') {
  console.log(JSON.stringify([devUpstream(`http://127.0.0.1:${Number(process.argv[3] ?? 8788)}`)]));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.argv[2] ?? 8788);
  const issuer = process.argv[3] ?? 'http://127.0.0.1:8787';
  const { base } = await startOidcProvider({ port, issuer });
  console.log(`oidc-provider: ${base} (any login and password sign in)`);
}
