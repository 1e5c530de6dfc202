// Delegated tokens at a resource (RFC 8693 §4.1): the package reads who acts for a token's
// subject (`delegationChain`), and a resource takes or refuses delegated tokens (the Verifier's
// `delegation`, `checkDelegation`, edge-jwt/hono's `requireDelegation` and `refuseDelegation`).
// Through the installed package, with tokens jose signs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { installPackage, importFrom } from './install.mjs';
import { issuerKey } from './issuer-key.mjs';

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

const DELEGATED = { act: { sub: 'mcp-server', act: { sub: 'agent', iss: 'https://idp.test' } } };

test('delegationChain lists the actors, the one acting now first; a malformed act is refused', async () => {
  const verifier = new pkg.Verifier(jwks, { issuer: ISS });
  const claims = verifier.verify(await token(DELEGATED));
  assert.deepEqual(pkg.delegationChain(claims), [{ sub: 'mcp-server' }, { sub: 'agent', iss: 'https://idp.test' }]);
  assert.deepEqual(pkg.delegationChain(verifier.verify(await token())), []);
  for (const act of ['mcp-server', { iss: 'x' }, { sub: 1 }, { sub: 'a', act: 'b' }]) {
    assert.throws(() => pkg.delegationChain({ act }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'act' }, JSON.stringify(act));
  }
});

test('checkDelegation refuses or requires delegated tokens, by given actors', async () => {
  const verifier = new pkg.Verifier(jwks, { issuer: ISS });
  const own = verifier.verify(await token());
  const delegated = verifier.verify(await token(DELEGATED));
  assert.doesNotThrow(() => pkg.checkDelegation(own, 'refused'));
  assert.throws(() => pkg.checkDelegation(delegated, 'refused'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'act', message: /delegated tokens are refused/ });
  assert.doesNotThrow(() => pkg.checkDelegation(delegated, 'required'));
  assert.throws(() => pkg.checkDelegation(own, 'required'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'act', message: /only delegated tokens/ });
  assert.doesNotThrow(() => pkg.checkDelegation(delegated, ['other', 'mcp-server']));
  // The actor acting now decides, not one before it.
  assert.throws(() => pkg.checkDelegation(delegated, ['agent']), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', message: /"mcp-server"/ });
  assert.throws(() => pkg.checkDelegation({ act: 'x' }, 'refused'), { claim: 'act' });
  for (const bad of ['sometimes', [], [''], [1], {}, true, undefined]) {
    assert.throws(() => pkg.checkDelegation(delegated, bad), { code: 'ERR_INVALID_OPTION' }, JSON.stringify(bad));
  }
});

test('edge-jwt/hono: requireDelegation and refuseDelegation per route, 401 saying what the route takes', async () => {
  const app = new Hono();
  app.use('/api/*', hono.edgeJwt({ jwks, issuer: ISS }));
  app.get('/api/files', hono.requireDelegation(['mcp-server']), (c) => c.json({ for: c.get('jwtPayload').sub }));
  app.get('/api/any-agent', hono.requireDelegation(), (c) => c.text('ok'));
  app.post('/api/account/delete', hono.refuseDelegation(), (c) => c.text('deleted'));
  const call = async (path, t, method = 'GET') => app.request(path, { method, headers: { Authorization: `Bearer ${t}` } });
  const own = await token();
  const delegated = await token(DELEGATED);

  const files = await call('/api/files', delegated);
  assert.equal(files.status, 200);
  assert.deepEqual(await files.json(), { for: 'alice' });
  const refused = await call('/api/files', own);
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate'), /^Bearer realm="api", error="invalid_token"/);
  assert.equal((await refused.json()).code, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  const byOther = await call('/api/files', await token({ act: { sub: 'stranger' } }));
  assert.equal(byOther.status, 401);
  assert.equal((await call('/api/any-agent', await token({ act: { sub: 'stranger' } }))).status, 200);
  assert.equal((await call('/api/account/delete', delegated, 'POST')).status, 401);
  assert.equal((await call('/api/account/delete', own, 'POST')).status, 200);
  assert.throws(() => hono.requireDelegation([]), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => hono.requireDelegation('mcp-server'), { code: 'ERR_INVALID_OPTION' });
  assert.throws(() => hono.requireDelegation(['']), { code: 'ERR_INVALID_OPTION' });
  // Without edgeJwt before it, the route fails loudly, not open.
  const bare = new Hono();
  bare.get('/x', hono.refuseDelegation(), (c) => c.text('open'));
  assert.equal((await bare.request('/x')).status, 500);
});
