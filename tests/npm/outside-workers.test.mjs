// The package where there are no Workers bindings (Node, Bun): edge-jwt/hono with no KV, a
// revocation list kept in any store (the documented RevocationStore keys), and the README's
// examples kept equal to the files that make test runs.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { installPackage, importFrom } from './install.mjs';
import { issuerKey } from './issuer-key.mjs';
import { embed } from '../../scripts/readme-examples.mjs';

const ISS = 'https://issuer.test';
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

after(() => mock.restoreAll());

function app(options) {
  const a = new Hono();
  a.use('/api/*', hono.edgeJwt({ jwks, issuer: ISS, ...options }));
  a.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub }));
  return a;
}

const me = async (a, t) => a.request('/api/me', { headers: { Authorization: `Bearer ${t}` } });

test('hono outside Workers: a kv binding name with no binding is reported once, and every request fails closed', async () => {
  const errors = mock.method(console, 'error', () => {});
  const a = app({ kv: 'EDGE_JWT_KV' });
  for (let i = 0; i < 3; i += 1) {
    const res = await me(a, await token());
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.code, 'ERR_INVALID_OPTION');
    assert.match(body.error_description, /no KV binding named EDGE_JWT_KV: .*outside Workers pass kv a store with get\(key\)/);
  }
  assert.equal(errors.mock.callCount(), 1, 'logged once, not per request');
  assert.match(errors.mock.calls[0].arguments[0], /^edge-jwt\/hono: no KV binding named EDGE_JWT_KV/);
  errors.mock.restore();
});

test('hono outside Workers: without kv it verifies; with a store as kv it reads the revocation list there', async () => {
  const t = await token({ jti: 'j-1' });
  assert.deepEqual(await (await me(app({}), t)).json(), { sub: 'alice' });
  const revoked = new Map();
  const a = app({ kv: { get: (k) => revoked.get(k) ?? null } });
  assert.equal((await me(a, t)).status, 200);
  revoked.set('revoked:jti:j-1', '1');
  const res = await me(a, t);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('cache-control'), 'no-store', 'a refusal is never cached');
  assert.equal((await res.json()).code, 'ERR_JWT_REVOKED');
  assert.throws(() => hono.edgeJwt({ jwks, kv: 42 }), { code: 'ERR_INVALID_OPTION', message: /kv must be the name of a KV binding, or a store/ });
});

test('a RevocationStore by the documented keys: jti, sid, the signing key, the subject\'s cutoff; a get that throws fails closed', async () => {
  const v = new pkg.Verifier(jwks, { issuer: ISS });
  const now = Math.floor(Date.now() / 1000);
  const t = await token({ jti: 'j-2', sid: 's-2', sub: 'bob', iat: now - 100 });
  const store = (entries) => ({ get: (k) => entries[k] ?? null }); // synchronous, as documented
  assert.equal((await v.verifyNotRevoked(t, store({}))).sub, 'bob');
  for (const entries of [{ 'revoked:jti:j-2': 'x' }, { 'revoked:sid:s-2': '' }, { 'revoked:sub:bob': String(now - 100) },
    { 'revoked:kid:k1': '1' }]) {
    await assert.rejects(v.verifyNotRevoked(t, store(entries)), { code: 'ERR_JWT_REVOKED' }, JSON.stringify(entries));
  }
  // A cutoff before the token's iat leaves it alone.
  assert.equal((await v.verifyNotRevoked(t, store({ 'revoked:sub:bob': String(now - 101) }))).sub, 'bob');
  await assert.rejects(v.verifyNotRevoked(t, { get: () => { throw new Error('down'); } }), { code: 'ERR_STORE_UNAVAILABLE' });
});

test('the README carries every file of examples/ verbatim (scripts/readme-examples.mjs --write copies them)', () => {
  const { stale, missing } = embed();
  assert.deepEqual(stale, [], 'README blocks that differ from their files');
  assert.deepEqual(missing, [], 'files of examples/ the README does not include');
  // And the check catches a drift.
  const drifted = embed(embed().text.replace("const audience = process.env.AUDIENCE", "const audience = 'x'"));
  assert.deepEqual(drifted.stale, ['examples/quick-start.mjs']);
});
