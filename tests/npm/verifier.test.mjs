// The npm package, installed from its tarball, against tokens signed by jose: every algorithm,
// the core's negative matrix with the same codes, hostile inputs, options, helpers, RemoteJwks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { installPackage, importFrom, requireFrom, root } from './install.mjs';

let pkg;
let dir;
const T0 = 1767225600;
const ISS = 'https://issuer.test';
const AUD = 'https://api.test';
const keys = {};

before(async () => {
  dir = installPackage();
  pkg = await importFrom(dir);
  for (const alg of ['EdDSA', 'ES256']) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: `${alg}-1`, alg };
    keys[alg] = { privateKey, jwk };
  }
  const secret = new Uint8Array(32).map((_, i) => i + 1);
  keys.HS256 = { privateKey: secret, jwk: { kty: 'oct', k: jose.base64url.encode(secret), kid: 'HS256-1', alg: 'HS256' } };
});

function sign(alg, claims = {}, header = {}) {
  return new jose.SignJWT({ sub: 'user-1', ...claims })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: `${alg}-1`, ...header })
    .setIssuer(ISS).setAudience(AUD).setIssuedAt(T0).setExpirationTime(T0 + 300)
    .sign(keys[alg].privateKey);
}

function verifier(alg = 'EdDSA', options = {}) {
  const algorithms = alg === 'HS256' ? ['HS256'] : undefined;
  return new pkg.Verifier({ keys: [keys[alg].jwk] }, { issuer: ISS, audience: AUD, leeway: 30, algorithms, ...options });
}

function code(fn) {
  try { fn(); } catch (e) {
    assert.ok(e instanceof pkg.JwtError, `not a JwtError: ${e}`);
    return e;
  }
  assert.fail('expected a JwtError');
}

const b64 = (s) => Buffer.from(s).toString('base64url');

test('tokens signed by jose verify, for EdDSA, ES256 and HS256', async () => {
  for (const alg of ['EdDSA', 'ES256', 'HS256']) {
    const claims = verifier(alg).verify(await sign(alg, { role: 'admin' }), { now: T0 });
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.role, 'admin');
    assert.equal(Object.getPrototypeOf(claims), Object.prototype, 'a plain object');
  }
});

test('require() and import give the same package', async () => {
  const cjs = requireFrom(dir);
  const token = await sign('EdDSA');
  const claims = new cjs.Verifier(keys.EdDSA.jwk, { issuer: ISS }).verify(token, { now: T0 });
  assert.equal(claims.sub, 'user-1');
  assert.throws(() => cjs.decode(1), (e) => e instanceof cjs.JwtError && e.code === 'ERR_JWS_INVALID');
});

test('the JWKS may be an object, its JSON text, or one JWK', async () => {
  const token = await sign('EdDSA');
  for (const jwks of [{ keys: [keys.EdDSA.jwk] }, JSON.stringify({ keys: [keys.EdDSA.jwk] }), keys.EdDSA.jwk]) {
    assert.equal(new pkg.Verifier(jwks).verify(token, { now: T0 }).sub, 'user-1');
  }
});

test('negative matrix: the same codes as the core', async () => {
  const v = verifier();
  const good = await sign('EdDSA');
  const [h, p, s] = good.split('.');
  const edHeader = { alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA-1' };
  const hmacWith = (key, header, payload) => {
    const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
    const { createHmac } = awaitImportCrypto;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  };
  const rows = [
    ['alg none', `${b64(JSON.stringify({ ...edHeader, alg: 'none' }))}.${p}.`, 'ERR_JOSE_ALG_NOT_ALLOWED'],
    ['HS256 over the Ed25519 public key', hmacWith(Buffer.from(keys.EdDSA.jwk.x, 'base64url'), { ...edHeader, alg: 'HS256' }, Buffer.from(p, 'base64url').toString()), 'ERR_JOSE_ALG_NOT_ALLOWED'],
    ['a refresh token as access token', await sign('EdDSA', {}, { typ: 'rt+jwt' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'typ'],
    ['unknown kid', await sign('EdDSA', {}, { kid: 'other' }), 'ERR_JWKS_NO_MATCHING_KEY'],
    ['tampered payload', `${h}.${b64(JSON.stringify({ sub: 'admin', exp: T0 + 300 }))}.${s}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['truncated', `${h}.${p}`, 'ERR_JWS_INVALID'],
    ['non-base64url characters', `${h}.${p}.${s.slice(0, 10)}+${s.slice(11)}`, 'ERR_JWS_INVALID'],
    ['nbf in the future', await sign('EdDSA', { nbf: T0 + 31 }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf'],
    ['wrong iss', await new jose.SignJWT({}).setProtectedHeader(edHeader).setIssuer('https://evil.test').setAudience(AUD).setExpirationTime(T0 + 300).sign(keys.EdDSA.privateKey), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss'],
    ['wrong aud', await new jose.SignJWT({}).setProtectedHeader(edHeader).setIssuer(ISS).setAudience('x').setExpirationTime(T0 + 300).sign(keys.EdDSA.privateKey), 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud'],
    ['over the length limit', `${h}.${b64('x'.repeat(9000))}.${s}`, 'ERR_JWS_INVALID'],
  ];
  for (const [name, token, expected, claim] of rows) {
    const e = code(() => v.verify(token, { now: T0 }));
    assert.equal(e.code, expected, name);
    if (claim) assert.equal(e.claim, claim, name);
  }
});

const awaitImportCrypto = await import('node:crypto');

test('payloads that are not claims sets: a JSON array, a duplicated claim', async () => {
  const { sign: edSign, createPrivateKey } = awaitImportCrypto;
  const key = createPrivateKey({ key: await jose.exportJWK(keys.EdDSA.privateKey), format: 'jwk' });
  const raw = (payload) => {
    const input = `${b64(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA-1' }))}.${b64(payload)}`;
    return `${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`;
  };
  const v = verifier();
  assert.equal(code(() => v.verify(raw('[1,2]'), { now: T0 })).code, 'ERR_JWT_INVALID');
  const dup = `{"iss":"${ISS}","aud":"${AUD}","sub":"a","sub":"b","exp":${T0 + 300}}`;
  assert.equal(code(() => v.verify(raw(dup), { now: T0 })).code, 'ERR_JWT_INVALID');
});

test('clock leeway at its edges', async () => {
  const v = verifier();
  const token = await sign('EdDSA');
  v.verify(token, { now: T0 + 300 + 29 });
  const late = code(() => v.verify(token, { now: T0 + 300 + 31 }));
  assert.equal(late.code, 'ERR_JWT_EXPIRED');
  assert.equal(late.claim, 'exp');
  // Leeway 0 is honored, and jwt-simple's 15-minute default never applies.
  assert.equal(code(() => verifier('EdDSA', { leeway: 0 }).verify(token, { now: T0 + 300 })).code, 'ERR_JWT_EXPIRED');
  assert.equal(code(() => new pkg.Verifier(keys.EdDSA.jwk).verify(token, { now: T0 + 300 + 600 })).code, 'ERR_JWT_EXPIRED');
});

test('hostile inputs get a JwtError, never a trap, a panic message or a hang', () => {
  const v = verifier();
  for (const bad of [undefined, null, 42, {}, ['a.b.c'], '', '.', '..', 'a.b.c.d', '\u0000.\u0000.\u0000', '😀.😀.😀']) {
    const e = code(() => v.verify(bad, { now: T0 }));
    assert.match(e.code, /^ERR_JWS_INVALID$/, String(bad));
  }
  const started = Date.now();
  assert.equal(code(() => v.verify('a'.repeat(10 * 1024 * 1024))).code, 'ERR_JWS_INVALID');
  assert.equal(code(() => v.verify(`${'a'.repeat(8000)}😀😀😀😀`)).code, 'ERR_JWS_INVALID', 'bytes, not UTF-16 units');
  assert.ok(Date.now() - started < 2000);
  assert.equal(code(() => v.verify('a.b.c', { now: -1 })).code, 'ERR_INVALID_OPTION');
});

test('an allow-list written ahead of a key rotation: an allowed algorithm no key uses yet is fine, its tokens fail with no key', async () => {
  const es256Token = await sign('ES256');
  // The README's own options example against an EdDSA-only key set (make dev's).
  const rotationReady = new pkg.Verifier({ keys: [keys.EdDSA.jwk] }, { issuer: ISS, audience: AUD, algorithms: ['EdDSA', 'ES256'] });
  assert.equal(rotationReady.verify(await sign('EdDSA'), { now: T0 }).sub, 'user-1');
  assert.equal(code(() => rotationReady.verify(es256Token, { now: T0 })).code, 'ERR_JWKS_NO_MATCHING_KEY');
  // Through a remote key set, the new key is found once it is published.
  let published = [keys.EdDSA.jwk];
  const remote = pkg.Verifier.fromRemote(new pkg.RemoteJwks('https://issuer.test/jwks', { cooldown: 0,
    fetch: async () => Response.json({ keys: published }) }), { issuer: ISS, audience: AUD, algorithms: ['EdDSA', 'ES256'] });
  await assert.rejects(remote.verify(es256Token, { now: T0 }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  published = [keys.EdDSA.jwk, keys.ES256.jwk];
  assert.equal((await remote.verify(es256Token, { now: T0 })).sub, 'user-1');
});

test('options are checked when the verifier is built', () => {
  const jwks = { keys: [keys.EdDSA.jwk] };
  assert.equal(code(() => new pkg.Verifier(jwks, { leway: 30 })).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(jwks, { leeway: -1 })).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(jwks, { leeway: 1.5 })).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(jwks, { algorithms: [] })).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(jwks, { algorithms: ['none'] })).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(jwks, { issuer: 7 })).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(jwks, 'strict')).code, 'ERR_INVALID_OPTION');
  assert.equal(code(() => new pkg.Verifier(42)).code, 'ERR_JWKS_INVALID');
  assert.equal(code(() => new pkg.Verifier({ keys: [keys.HS256.jwk] })).code, 'ERR_JWKS_INVALID', 'secrets only when HS256 is named');
  // `typ: null` skips the typ check; undefined options count as absent.
  new pkg.Verifier(jwks, { typ: null, issuer: undefined });
});

test('typ: null accepts other token types; the default demands at+jwt', async () => {
  const token = await sign('EdDSA', {}, { typ: 'JWT' });
  assert.equal(code(() => verifier().verify(token, { now: T0 })).claim, 'typ');
  assert.equal(verifier('EdDSA', { typ: null }).verify(token, { now: T0 }).sub, 'user-1');
});

test('decode, isExpired and expiresIn, for UIs', async () => {
  const token = await sign('EdDSA');
  assert.equal(pkg.decode(token).sub, 'user-1');
  assert.equal(pkg.isExpired(token, { now: T0 }), false);
  assert.equal(pkg.isExpired(token, { now: T0 + 300 }), true);
  assert.equal(pkg.isExpired(token, { now: T0 + 300, leeway: 30 }), false);
  assert.equal(pkg.expiresIn(token, { now: T0 + 100 }), 200);
  assert.equal(pkg.expiresIn(token, { now: T0 + 400 }), -100);
  assert.equal(code(() => pkg.decode('nope')).code, 'ERR_JWS_INVALID');
});

test('verifyNotRevoked checks the revocation list and fails closed', async () => {
  const token = await sign('EdDSA', { jti: 'j1', sid: 's1', client_id: 'c' });
  const kv = (entries) => ({ get: async (key) => entries[key] ?? null });
  const v = verifier();
  assert.equal((await v.verifyNotRevoked(token, kv({}), { now: T0 })).sub, 'user-1');
  await assert.rejects(v.verifyNotRevoked(token, kv({ 'revoked:jti:j1': '1' }), { now: T0 }), { code: 'ERR_JWT_REVOKED' });
  await assert.rejects(v.verifyNotRevoked(token, kv({ 'revoked:sid:s1': '1' }), { now: T0 }), { code: 'ERR_JWT_REVOKED' });
  await assert.rejects(v.verifyNotRevoked(token, kv({ 'revoked:sub:user-1': String(T0) }), { now: T0 }), { code: 'ERR_JWT_REVOKED' });
  await v.verifyNotRevoked(token, kv({ 'revoked:sub:user-1': String(T0 - 1) }), { now: T0 });
  await assert.rejects(v.verifyNotRevoked(token, { get: async () => { throw new Error('down'); } }, { now: T0 }), { code: 'ERR_STORE_UNAVAILABLE' });
  await assert.rejects(v.verifyNotRevoked(token, {}, { now: T0 }), { code: 'ERR_INVALID_OPTION' });
  // A get that throws at once, or answers something other than a string: closed, and said why.
  await assert.rejects(v.verifyNotRevoked(token, { get: () => { throw new Error('no binding'); } }, { now: T0 }),
    { code: 'ERR_STORE_UNAVAILABLE', message: /KV get failed: no binding/ });
  await assert.rejects(v.verifyNotRevoked(token, { get: async () => 42 }, { now: T0 }),
    { code: 'ERR_STORE_UNAVAILABLE', message: /KV get returned a non-string/ });
  // A revoked token is refused even when another entry could not be read after it.
  const partly = { get: async (key) => { if (key.startsWith('revoked:jti:')) return '1'; throw new Error('down'); } };
  await assert.rejects(v.verifyNotRevoked(token, partly, { now: T0 }), { code: 'ERR_JWT_REVOKED' });
});

test('RemoteJwks caches, and refetches on an unknown kid within its cooldown', async () => {
  let served = { keys: [keys.ES256.jwk] };
  let fetches = 0;
  const server = createServer((req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(served));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${server.address().port}/jwks.json`;
    const remote = pkg.Verifier.fromRemote(new pkg.RemoteJwks(url, { cacheMaxAge: 600, cooldown: 0 }), { issuer: ISS });
    assert.equal((await remote.verify(await sign('ES256'), { now: T0 })).sub, 'user-1');
    await remote.verify(await sign('ES256'), { now: T0 });
    assert.equal(fetches, 1, 'cached');
    served = { keys: [keys.ES256.jwk, keys.EdDSA.jwk] }; // a key rotation at the issuer
    assert.equal((await remote.verify(await sign('EdDSA'), { now: T0 })).sub, 'user-1');
    assert.equal(fetches, 2, 'refetched once for the new kid');
    await assert.rejects(remote.verify(await sign('EdDSA', {}, { kid: 'nope' }), { now: T0 }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    const slow = pkg.Verifier.fromRemote(new pkg.RemoteJwks(url, { cooldown: 3600 }), {});
    await slow.verify(await sign('EdDSA'), { now: T0 });
    const before = fetches;
    await assert.rejects(slow.verify(await sign('EdDSA', {}, { kid: 'nope' }), { now: T0 }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    assert.equal(fetches, before, 'no refetch inside the cooldown');
  } finally {
    server.close();
  }
});

/** A local JWKS server whose answer the test sets per request: `(req, res) => void`. */
async function jwksServer() {
  const state = { fetches: 0, answer: null };
  const server = createServer((req, res) => { state.fetches++; state.answer(req, res); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${server.address().port}/jwks.json`;
  state.close = () => { server.closeAllConnections?.(); server.close(); };
  return state;
}
const good = (jwks) => (req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(jwks)); };
const html = (req, res) => { res.setHeader('content-type', 'text/html'); res.end('<html><body>Sign in to the proxy</body></html>'); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('RemoteJwks never caches a bad answer: the last good set is served, the refetch retried after the cooldown', async () => {
  const server = await jwksServer();
  try {
    const jwks = new pkg.RemoteJwks(server.url, { cacheMaxAge: 0, cooldown: 0.3 });
    const remote = pkg.Verifier.fromRemote(jwks, { issuer: ISS });
    const token = await sign('ES256');
    server.answer = good({ keys: [keys.ES256.jwk] });
    assert.equal((await remote.verify(token, { now: T0 })).sub, 'user-1');
    // The proxy's HTML page: the set is due (cacheMaxAge 0), the refetch fails, the last good set serves.
    server.answer = html;
    await sleep(350);
    assert.equal((await remote.verify(token, { now: T0 })).sub, 'user-1');
    assert.equal(server.fetches, 2);
    // Within the cooldown, no new fetch; still the last good set.
    assert.equal((await remote.verify(token, { now: T0 })).sub, 'user-1');
    assert.equal(server.fetches, 2);
    // A JSON answer that is not a usable key set for this verifier is refused the same way.
    server.answer = good({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] });
    await sleep(350);
    assert.equal((await remote.verify(token, { now: T0 })).sub, 'user-1');
    // After the cooldown, a good answer (a rotation) is used.
    server.answer = good({ keys: [keys.EdDSA.jwk] });
    await sleep(350);
    assert.equal((await remote.verify(await sign('EdDSA'), { now: T0 })).sub, 'user-1');
    assert.equal(server.fetches, 4);
  } finally {
    server.close();
  }
});

test('a JWKS host that is down or answers an HTTP error is ERR_JWKS_FETCH_FAILED, not a bad key set', async () => {
  const down = new pkg.RemoteJwks('http://127.0.0.1:9/jwks.json', { timeout: 2 });
  await assert.rejects(down.get(), (e) => e.code === 'ERR_JWKS_FETCH_FAILED' && /127\.0\.0\.1:9/.test(e.message));
  const server = await jwksServer();
  try {
    server.answer = (req, res) => { res.statusCode = 503; res.end('maintenance'); };
    await assert.rejects(new pkg.RemoteJwks(server.url).get(), (e) => e.code === 'ERR_JWKS_FETCH_FAILED' && e.status === 503);
    server.answer = html;
    await assert.rejects(new pkg.RemoteJwks(server.url).get(), { code: 'ERR_JWKS_INVALID' });
  } finally {
    server.close();
  }
});

test('RemoteJwks: a first answer that is not a key set fails, and is retried only after the cooldown', async () => {
  const server = await jwksServer();
  try {
    server.answer = html;
    const remote = pkg.Verifier.fromRemote(new pkg.RemoteJwks(server.url, { cooldown: 0.3 }), { issuer: ISS });
    const token = await sign('ES256');
    await assert.rejects(remote.verify(token, { now: T0 }), (e) => e.code === 'ERR_JWKS_INVALID' && /key set|JSON/.test(e.message));
    await assert.rejects(remote.verify(token, { now: T0 }), { code: 'ERR_JWKS_INVALID' });
    assert.equal(server.fetches, 1, 'no retry inside the cooldown');
    server.answer = good({ keys: [keys.ES256.jwk] });
    await sleep(350);
    assert.equal((await remote.verify(token, { now: T0 })).sub, 'user-1');
  } finally {
    server.close();
  }
});

test('RemoteJwks: a fetch times out, reads at most 1 MiB, and follows no redirect', async () => {
  const server = await jwksServer();
  try {
    server.answer = () => {}; // never answers
    const started = Date.now();
    await assert.rejects(new pkg.RemoteJwks(server.url, { timeout: 0.3 }).get(), (e) => e.code === 'ERR_JWKS_FETCH_FAILED' && /0.3 s/.test(e.message));
    assert.ok(Date.now() - started < 3000, 'the timeout applied');
    server.answer = (req, res) => { res.setHeader('content-type', 'application/json'); res.end(`{"keys":[],"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`); };
    await assert.rejects(new pkg.RemoteJwks(server.url).get(), (e) => e.code === 'ERR_JWKS_FETCH_FAILED' && /over 1048576 bytes/.test(e.message));
    server.answer = (req, res) => { res.writeHead(302, { location: '/elsewhere.json' }); res.end(); };
    await assert.rejects(new pkg.RemoteJwks(server.url).get(), (e) => e.code === 'ERR_JWKS_FETCH_FAILED' && /redirect/.test(e.message));
    assert.throws(() => new pkg.RemoteJwks(server.url, { timeout: -1 }), { code: 'ERR_INVALID_OPTION' });
  } finally {
    server.close();
  }
});

test('Verifier.fromIssuer discovers the keys: OpenID Connect metadata, then RFC 8414; the issuer must match', async () => {
  let routes = {};
  const server = createServer((req, res) => {
    const route = routes[req.url];
    if (!route) { res.writeHead(404).end('{}'); return; }
    route(req, res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const token = await new jose.SignJWT({ sub: 'user-1' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA-1' })
    .setIssuer(base).setAudience(AUD).setIssuedAt(T0).setExpirationTime(T0 + 300)
    .sign(keys.EdDSA.privateKey);
  const jwks = good({ keys: [keys.EdDSA.jwk] });
  try {
    routes = { '/.well-known/openid-configuration': good({ issuer: base, jwks_uri: `${base}/keys` }), '/keys': jwks };
    const oidc = await pkg.Verifier.fromIssuer(base, { audience: AUD });
    assert.equal((await oidc.verify(token, { now: T0 })).sub, 'user-1');
    // The issuer became the expected iss: a token of another issuer is refused.
    await assert.rejects(oidc.verify(await sign('EdDSA'), { now: T0 }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' });
    routes = { '/.well-known/oauth-authorization-server': good({ issuer: base, jwks_uri: `${base}/keys` }), '/keys': jwks };
    const rfc8414 = await pkg.Verifier.fromIssuer(base, { audience: AUD });
    assert.equal((await rfc8414.verify(token, { now: T0 })).sub, 'user-1');
    routes = { '/.well-known/openid-configuration': good({ issuer: `${base}/other`, jwks_uri: `${base}/keys` }) };
    await assert.rejects(pkg.Verifier.fromIssuer(base), (e) => e.code === 'ERR_DISCOVERY_FAILED' && /identical/.test(e.message));
    routes = { '/.well-known/openid-configuration': good({ issuer: base }) };
    await assert.rejects(pkg.Verifier.fromIssuer(base), (e) => e.code === 'ERR_DISCOVERY_FAILED' && /jwks_uri/.test(e.message));
    routes = { '/.well-known/openid-configuration': (req, res) => { res.writeHead(302, { location: 'https://evil.test/' }); res.end(); } };
    await assert.rejects(pkg.Verifier.fromIssuer(base), (e) => e.code === 'ERR_DISCOVERY_FAILED' && /redirect/.test(e.message));
    routes = {};
    await assert.rejects(pkg.Verifier.fromIssuer(base), (e) => e.code === 'ERR_DISCOVERY_FAILED' && /404/.test(e.message)
      && e.message.includes('/.well-known/openid-configuration') && e.message.includes('/.well-known/oauth-authorization-server'));
    await assert.rejects(pkg.Verifier.fromIssuer('not a url'), { code: 'ERR_INVALID_OPTION' });
  } finally {
    server.close();
  }
});

test('{ now: null } is the current time, not 1970', async () => {
  // Signed for 2026-01-01, 5 minutes: long expired at the current time.
  const token = await sign('EdDSA');
  assert.equal(code(() => verifier('EdDSA').verify(token, { now: null })).code, 'ERR_JWT_EXPIRED');
});

test('a key set with no usable key says what was skipped and how to opt in', () => {
  const e = code(() => new pkg.Verifier(keys.HS256.jwk));
  assert.equal(e.code, 'ERR_JWKS_INVALID');
  assert.match(e.message, /key "HS256-1" skipped: a shared secret \(oct\) is used only when the algorithms option names "HS256"/);
  const rsa = code(() => new pkg.Verifier({ keys: [{ kty: 'RSA', kid: 'r1', n: 'AQAB', e: 'AQAB' }] }));
  assert.match(rsa.message, /key "r1" skipped: an RSA key without "alg" is used only for the RSA algorithms the algorithms option names \(for example \{ algorithms: \["RS256"\] \}\)/);
  const x25519 = code(() => new pkg.Verifier({ keys: [{ kty: 'OKP', crv: 'X25519', kid: 'x1', x: 'AAAA' }] }));
  assert.match(x25519.message, /key "x1" skipped: kty "OKP" with crv "X25519" is not supported/);
  // Named, the RSA key is used, and its broken modulus is an error of its own.
  const broken = code(() => new pkg.Verifier({ keys: [{ kty: 'RSA', kid: 'r1', n: 'AQAB', e: 'AQAB' }] }, { algorithms: ['RS256'] }));
  assert.match(broken.message, /key "r1" \(RS256\): an RSA modulus of 17 bits is too small: at least 2048 bits/);
});

test('every error code of the core and of the JS layer is in the .d.ts union and in the README tables', () => {
  const core = new Set(readFileSync(join(root, 'crates/core/src/error.rs'), 'utf8').match(/"ERR_[A-Z_]+"/g).map((c) => c.slice(1, -1)));
  const declared = new Set(readFileSync(join(root, 'crates/wasm/js/index.d.ts'), 'utf8').match(/'ERR_[A-Z_]+'/g).map((c) => c.slice(1, -1)));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.ok(core.size >= 18, `read ${core.size} codes from the core`);
  for (const code of core) {
    assert.ok(declared.has(code), `${code} is missing from index.d.ts`);
    assert.ok(readme.includes(`| \`${code}\` |`), `${code} is missing from the README's error table`);
  }
  // And the package's own codes are declared too, and in the README's tables.
  const jsDir = join(root, 'crates/wasm/js');
  for (const file of readdirSync(jsDir).filter((f) => f.endsWith('.mjs'))) {
    for (const code of readFileSync(join(jsDir, file), 'utf8').match(/'ERR_[A-Z_]+'/g) ?? []) {
      assert.ok(declared.has(code.slice(1, -1)), `${code} (thrown by ${file}) is missing from index.d.ts`);
    }
  }
  for (const code of declared) {
    assert.ok(readme.includes(`| \`${code}\` |`), `${code} (in index.d.ts) is missing from the README's error tables`);
  }
});

test('Wycheproof JWS vectors (HS256, ES256, RS*, PS*) through verify and verifyAsync', async () => {
  const doc = JSON.parse(readFileSync(join(root, 'tests/vectors/wycheproof/json_web_signature_test.json'), 'utf8'));
  // The same decisions as the core's test (crates/core/tests/wycheproof.rs): 367/370 are
  // byte-identical to a valid case; 372/373 put a `?` in base64url; 346/350 are a PS384 token
  // under a key whose `alg` is PS256, and the key's `alg` decides.
  const deviations = new Map([[367, true], [370, true], [372, false], [373, false], [346, false], [350, false]]);
  let ran = 0;
  for (const group of doc.testGroups) {
    const jwk = { ...(group.public ?? group.private) };
    if (jwk.kty === 'EC' && jwk.crv === 'P-521') continue;
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) if (jwk.kty !== 'oct') delete jwk[member];
    const options = { typ: null, algorithms: jwk.kty === 'oct' ? ['HS256'] : undefined };
    // Wycheproof's payloads are not JWTs: signature-level acceptance is what counts, so a
    // claims-level refusal (no exp) still means the signature passed.
    const passed = (e) => e.code === 'ERR_JWT_INVALID' || e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED';
    for (const t of group.tests) {
      let v;
      try { v = new pkg.Verifier({ keys: [jwk] }, options); } catch { v = null; }
      let sync = false;
      let async = false;
      if (v) {
        try { v.verify(t.jws); sync = true; } catch (e) { sync = passed(e); }
        try { await v.verifyAsync(t.jws); async = true; } catch (e) { async = passed(e); }
      }
      const expected = deviations.has(t.tcId) ? deviations.get(t.tcId) : t.result === 'valid';
      assert.equal(sync, expected, `verify: tcId ${t.tcId} ${t.comment}`);
      assert.equal(async, expected, `verifyAsync: tcId ${t.tcId} ${t.comment}`);
      ran++;
    }
  }
  assert.equal(ran, 399);
});

test('every algorithm signed by jose, and its negative matrix, in Node (verify and verifyAsync)', async () => {
  const { buildMatrix, expected } = await import('./matrix.mjs');
  const { runMatrix } = await import('./fixtures/matrix-runner.mjs');
  const matrix = await buildMatrix();
  assert.deepEqual(await runMatrix(pkg.Verifier, matrix), expected(matrix, true));
});

test('verifyAsync (ES256 signature by WebCrypto) gives the same claims and the same codes', async () => {
  const rsaFirst = (jwk) => ({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'rsa' }, jwk] });
  for (const alg of ['EdDSA', 'ES256', 'HS256']) {
    const v = new pkg.Verifier(rsaFirst(keys[alg].jwk), { issuer: ISS, audience: AUD, algorithms: [alg] });
    const token = await sign(alg, { role: 'x' });
    assert.deepEqual(await v.verifyAsync(token, { now: T0 }), v.verify(token, { now: T0 }), alg);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${b64(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), role: 'admin' }))}.${s}`;
    await assert.rejects(v.verifyAsync(tampered, { now: T0 }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, alg);
    await assert.rejects(v.verifyAsync(token, { now: T0 + 400 }), { code: 'ERR_JWT_EXPIRED' }, alg);
    await assert.rejects(v.verifyAsync(await sign(alg, {}, { kid: 'other' }), { now: T0 }), { code: 'ERR_JWKS_NO_MATCHING_KEY' }, alg);
    await assert.rejects(v.verifyAsync(42), { code: 'ERR_JWS_INVALID' });
  }
});

test('the verified-token cache: each rule a hit must keep', async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'c1', alg: 'ES256' }] };
  const t0 = 1_800_000_000;
  const sign = (claims, key = privateKey) => new jose.SignJWT({ sub: 'u', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'c1', typ: 'at+jwt' }).setIssuer('https://iss.test').sign(key);
  const token = await sign({ iat: t0, nbf: t0, exp: t0 + 300, jti: 'j1', sid: 's1', client_id: 'c' });
  const verifier = new pkg.Verifier(jwks, { issuer: 'https://iss.test', cache: { max: 2 }, maxAge: 200 });
  for (const check of [(t, o) => verifier.verify(t, o), (t, o) => verifier.verifyAsync(t, o)]) {
    assert.equal((await check(token, { now: t0 + 10 })).sub, 'u');
    // A hit returns a copy: changing it changes nothing for the next caller.
    (await check(token, { now: t0 + 10 })).sub = 'mallory';
    assert.equal((await check(token, { now: t0 + 10 })).sub, 'u');
    // The times are checked again on every hit: exp, nbf, maxAge.
    await assert.rejects(async () => check(token, { now: t0 + 300 + 31 }), { code: 'ERR_JWT_EXPIRED', claim: 'exp' });
    assert.equal((await check(token, { now: t0 + 10 })).sub, 'u');
    await assert.rejects(async () => check(token, { now: t0 - 31 }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    assert.equal((await check(token, { now: t0 + 10 })).sub, 'u');
    await assert.rejects(async () => check(token, { now: t0 + 231 }), { code: 'ERR_JWT_EXPIRED', claim: 'iat' });
  }
  // Keyed on the whole token: the same header and payload with another signature, or the same
  // signature on another payload, is verified anew and fails.
  assert.equal(verifier.verify(token, { now: t0 + 10 }).sub, 'u');
  const [h, p, sig] = token.split('.');
  const other = (await sign({ iat: t0, nbf: t0, exp: t0 + 300, jti: 'j1', sid: 's1', client_id: 'c' })).split('.')[2];
  assert.notEqual(other, sig);
  const forged = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BA' : 'AA'}`;
  assert.throws(() => verifier.verify(forged, { now: t0 + 10 }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  const elevated = `${h}.${jose.base64url.encode(JSON.stringify({ ...jose.decodeJwt(token), sub: 'admin' }))}.${sig}`;
  await assert.rejects(verifier.verifyAsync(elevated, { now: t0 + 10 }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  // The revocation list is never cached: a cached token revoked since is refused.
  const revoked = { get: async (k) => (k === 'revoked:jti:j1' ? '1' : null) };
  await assert.rejects(verifier.verifyNotRevoked(token, revoked, { now: t0 + 10 }), { code: 'ERR_JWT_REVOKED' });
  // Bad cache options are refused when the verifier is built.
  for (const cache of [{ max: 0 }, { max: 1.5 }, { max: 10, ttl: 5 }, 10, true]) {
    assert.throws(() => new pkg.Verifier(jwks, { cache }), { code: 'ERR_INVALID_OPTION', message: /cache must be \{ max: N \}/ }, JSON.stringify(cache));
  }
});

test('the verified-token cache of a remote verifier is emptied by a key set change', async () => {
  const first = await jose.generateKeyPair('EdDSA', { extractable: true });
  const second = await jose.generateKeyPair('EdDSA', { extractable: true });
  const jwk = async (pair, kid) => ({ ...(await jose.exportJWK(pair.publicKey)), kid, alg: 'EdDSA' });
  let served = { keys: [await jwk(first, 'k1')] };
  const remote = new pkg.RemoteJwks('https://iss.test/jwks', { fetch: async () => Response.json(served), cooldown: 0 });
  const verifier = pkg.Verifier.fromRemote(remote, { issuer: 'https://iss.test', cache: { max: 100 } });
  const sign = (pair, kid) => new jose.SignJWT({ sub: kid }).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    .setIssuer('https://iss.test').setIssuedAt().setExpirationTime('5m').sign(pair.privateKey);
  const old = await sign(first, 'k1');
  assert.equal((await verifier.verify(old)).sub, 'k1');
  assert.equal((await verifier.verify(old)).sub, 'k1');
  // The issuer rotates k1 out (a leaked key); a token under k2 makes the verifier refetch.
  served = { keys: [await jwk(second, 'k2')] };
  assert.equal((await verifier.verify(await sign(second, 'k2'))).sub, 'k2');
  await assert.rejects(verifier.verify(old), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
});

test('alg "Ed25519" (RFC 9864, fully-specified) is EdDSA over Ed25519, in tokens, keys and the allow-list', async () => {
  const pair = await jose.generateKeyPair('Ed25519', { extractable: true });
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'k' };
  const sign = (alg) => new jose.SignJWT({ sub: alg }).setProtectedHeader({ alg, kid: 'k', typ: 'at+jwt' })
    .setIssuedAt().setExpirationTime('5m').sign(pair.privateKey);
  for (const keyAlg of ['Ed25519', 'EdDSA', undefined]) {
    for (const options of [{}, { algorithms: ['Ed25519'] }, { algorithms: ['EdDSA'] }]) {
      const verifier = new pkg.Verifier({ keys: [{ ...jwk, alg: keyAlg }] }, options);
      for (const tokenAlg of ['Ed25519', 'EdDSA']) {
        const token = await sign(tokenAlg);
        const what = `key ${keyAlg}, ${JSON.stringify(options)}, token ${tokenAlg}`;
        assert.equal(verifier.verify(token).sub, tokenAlg, what);
        assert.equal((await verifier.verifyAsync(token)).sub, tokenAlg, what);
      }
    }
  }
  // An Ed25519 key is still only for EdDSA: an ES256 allow-list leaves it unused.
  const esOnly = new pkg.Verifier({ keys: [{ ...jwk, alg: 'Ed25519' }] }, { algorithms: ['ES256'] });
  const ed25519Token = await sign('Ed25519');
  assert.throws(() => esOnly.verify(ed25519Token), (e) => ['ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JWKS_NO_MATCHING_KEY'].includes(e.code));
});

test('EdDSA through the host: a small-order key\'s universal forgery, which a lax Ed25519 accepts, is refused on both paths', async () => {
  const b64 = (bytes) => jose.base64url.encode(new Uint8Array(bytes));
  const identity = [1, ...new Array(31).fill(0)]; // the neutral point: a key of order 1
  const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: b64(identity), kid: 'weak', alg: 'EdDSA' }] };
  const header = b64(new TextEncoder().encode(JSON.stringify({ alg: 'EdDSA', kid: 'weak', typ: 'at+jwt' })));
  const payload = b64(new TextEncoder().encode(JSON.stringify({ sub: 'admin', exp: 4102444800 })));
  // R = the neutral point, S = 0: [S]B = R + [k]A holds for every message under this key.
  const forged = `${header}.${payload}.${b64([...identity, ...new Array(32).fill(0)])}`;
  // The host itself would take it (so the test means something where the host has Ed25519).
  const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: b64(identity) }, { name: 'Ed25519' }, false, ['verify'])
    .catch(() => null);
  if (key) {
    const hostSays = await crypto.subtle.verify({ name: 'Ed25519' }, key, jose.base64url.decode(forged.split('.')[2]),
      new TextEncoder().encode(`${header}.${payload}`)).catch(() => false);
    assert.equal(hostSays, true, 'this host\'s Ed25519 is lax about small-order keys, as OpenSSL is');
  }
  const verifier = new pkg.Verifier(jwks);
  assert.throws(() => verifier.verify(forged), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  await assert.rejects(verifier.verifyAsync(forged), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  const request = new Request('https://api.test/', { headers: { Authorization: `Bearer ${forged}` } });
  await assert.rejects(verifier.verifyRequest(request), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  // And a good EdDSA token still verifies on the host path.
  const pair = await jose.generateKeyPair('EdDSA', { extractable: true });
  const good = new pkg.Verifier({ keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: 'k', alg: 'EdDSA' }] });
  const token = await new jose.SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'EdDSA', kid: 'k', typ: 'at+jwt' })
    .setIssuedAt().setExpirationTime('5m').sign(pair.privateKey);
  assert.equal((await good.verifyAsync(token)).sub, 'u');
});
