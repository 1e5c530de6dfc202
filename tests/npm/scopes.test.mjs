// Scopes at a resource (RFC 6750 §3, the MCP authorization revisions): a 401 names the scopes
// the resource needs, a valid token without one of them is 403 `insufficient_scope` naming
// every scope the operation needs, and a client steps up from it. Through the installed
// package: the Verifier's `requiredScopes`, `checkScopes`, `resourceRefusal` and edge-jwt/hono.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { installPackage, importFrom } from './install.mjs';
import { issuerKey } from './issuer-key.mjs';

const ISS = 'https://issuer.test';
const METADATA = 'https://mcp.example/.well-known/oauth-protected-resource/mcp';
let pkg;
let hono;
let jwks;
let token;

before(async () => {
  const dir = installPackage();
  pkg = await importFrom(dir);
  hono = await importFrom(dir, 'edge-jwt/hono');
  ({ jwks, token } = await issuerKey(ISS));
});

test('a Verifier with requiredScopes refuses a token without one of them, only once every other rule holds', async () => {
  const verifier = new pkg.Verifier(jwks, { issuer: ISS, requiredScopes: ['mcp:tools', 'mcp:read'] });
  const good = await token({ scope: 'mcp:read offline_access mcp:tools' });
  assert.equal(verifier.verify(good).sub, 'alice');
  assert.equal((await verifier.verifyAsync(good)).sub, 'alice');
  for (const scope of ['mcp:tools', undefined, 'mcp:tool mcp:read', 'MCP:TOOLS mcp:read']) {
    const t = await token(scope === undefined ? {} : { scope });
    assert.throws(() => verifier.verify(t), { code: 'ERR_INSUFFICIENT_SCOPE', message: /this resource needs "mcp:tools mcp:read"/ }, String(scope));
    await assert.rejects(verifier.verifyAsync(t), { code: 'ERR_INSUFFICIENT_SCOPE' });
  }
  // An expired token without the scope is expired (401), not short of scope (403).
  const now = Math.floor(Date.now() / 1000);
  const expired = await token({ scope: 'mcp:tools', iat: now - 600 }, now - 120);
  assert.throws(() => verifier.verify(expired), { code: 'ERR_JWT_EXPIRED' });
  for (const bad of [[''], ['a b'], 'mcp:tools', [1]]) {
    assert.throws(() => new pkg.Verifier(jwks, { requiredScopes: bad }), { code: 'ERR_INVALID_OPTION' }, JSON.stringify(bad));
  }
});

test('checkScopes and resourceRefusal: 403 insufficient_scope naming every scope needed, 401s with scope', () => {
  assert.doesNotThrow(() => pkg.checkScopes({ scope: 'a b c' }, ['c', 'a']));
  assert.throws(() => pkg.checkScopes({ scope: 'a' }, 'a b'), { code: 'ERR_INSUFFICIENT_SCOPE', message: /lacks scope "b"/ });
  assert.throws(() => pkg.checkScopes({}, ['a']), { code: 'ERR_INSUFFICIENT_SCOPE' });
  assert.throws(() => pkg.checkScopes({ scope: 'a' }, ['a b']), { code: 'ERR_INVALID_OPTION' });
  assert.deepEqual(pkg.resourceRefusal('ERR_INSUFFICIENT_SCOPE', 'Bearer', { realm: 'mcp', scope: ['mcp:tools', 'mcp:admin'], resourceMetadata: METADATA }), {
    error: 'insufficient_scope',
    status: 403,
    challenge: `Bearer realm="mcp", error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="${METADATA}"`,
  });
  assert.deepEqual(pkg.resourceRefusal(null, 'Bearer', { scope: 'mcp:tools' }),
    { error: 'invalid_request', status: 401, challenge: 'Bearer scope="mcp:tools"' });
  assert.equal(pkg.resourceRefusal('ERR_JWT_EXPIRED', 'DPoP', { scope: ['x'] }).status, 401);
  assert.throws(() => pkg.protectedResourceMetadata({ resource: 'https://mcp.example/mcp', authorizationServers: [ISS], scopesSupported: ['mcp:tools', 'offline_access'] }),
    { code: 'ERR_INVALID_OPTION', message: /offline_access/ });
});

test('edge-jwt/hono: requiredScopes in every challenge, 403 for a token without them, requireScopes per route', async () => {
  const app = new Hono();
  app.use('/mcp/*', hono.edgeJwt({ jwks, issuer: ISS, requiredScopes: ['mcp:tools'], resourceMetadata: METADATA, realm: 'mcp' }));
  app.get('/mcp/tools', (c) => c.json({ sub: c.get('jwtPayload').sub }));
  app.post('/mcp/admin', hono.requireScopes(['mcp:tools', 'mcp:admin']), (c) => c.text('done'));
  const call = async (path, t, method = 'GET') => app.request(path, { method, headers: t ? { Authorization: `Bearer ${t}` } : {} });

  const none = await call('/mcp/tools');
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), `Bearer realm="mcp", scope="mcp:tools", resource_metadata="${METADATA}"`);
  const without = await call('/mcp/tools', await token({ scope: 'other' }));
  assert.equal(without.status, 403);
  assert.equal(without.headers.get('cache-control'), 'no-store');
  assert.match(without.headers.get('www-authenticate'), /^Bearer realm="mcp", error="insufficient_scope", error_description="[^"]*", scope="mcp:tools", resource_metadata="/);
  assert.equal((await without.json()).code, 'ERR_INSUFFICIENT_SCOPE');
  const tools = await token({ scope: 'mcp:tools' });
  assert.equal((await call('/mcp/tools', tools)).status, 200);
  // The route needs more: 403 naming all it needs; with them, it answers.
  const admin = await call('/mcp/admin', tools, 'POST');
  assert.equal(admin.status, 403);
  assert.match(admin.headers.get('www-authenticate'), /error="insufficient_scope".*scope="mcp:tools mcp:admin"/);
  assert.equal((await call('/mcp/admin', await token({ scope: 'mcp:admin mcp:tools' }), 'POST')).status, 200);
  assert.throws(() => hono.requireScopes([]), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => hono.requireScopes(['a b']), { code: 'ERR_INVALID_OPTION' });
  // Without edgeJwt before it, it says so rather than letting the request through.
  const bare = new Hono();
  bare.get('/x', hono.requireScopes(['a']), (c) => c.text('no'));
  assert.equal((await bare.request('/x')).status, 500);
});
