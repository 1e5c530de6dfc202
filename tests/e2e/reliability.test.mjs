// The issuer under load, concurrency, a hard kill and hostile input, on loopback only, bounded
// in count and time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIssuer, startSession as start, form, json, kvKeys } from './harness.mjs';

const GRACE = 2;
let issuer;

before(async () => {
  issuer = await startIssuer({ vars: { EDGE_JWT_REUSE_GRACE: String(GRACE) } });
});

after(async () => {
  await issuer?.stop('SIGKILL');
  issuer?.cleanup();
});

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

const startSession = (sub) => start(issuer, { sub });

const refresh = (base, token) => fetch(`${base}/token`, form({ grant_type: 'refresh_token', refresh_token: token }));

test('load: 200 concurrent clients × 20 rotations of their own session, no 5xx, no token accepted twice', async () => {
  const accepted = new Set();
  let fiveXX = 0;
  const client = async (i) => {
    let pair = await startSession(`load-${i}`);
    for (let n = 0; n < 20; n++) {
      const res = await refresh(issuer.base, pair.refresh_token);
      if (res.status >= 500) fiveXX++;
      assert.equal(res.status, 200, `client ${i} rotation ${n}`);
      assert.ok(!accepted.has(pair.refresh_token), 'a refresh token was accepted twice');
      accepted.add(pair.refresh_token);
      pair = await json(res);
    }
    return pair;
  };
  const started = Date.now();
  const finals = await Promise.all(Array.from({ length: 200 }, (_, i) => client(i)));
  console.log(`4000 rotations by 200 clients in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(fiveXX, 0);
  // Every session's final pair is valid.
  const checks = await Promise.all(finals.map(async (pair) => {
    const res = await fetch(`${issuer.base}/introspect`, { ...form({ token: pair.access_token }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: issuer.basic } });
    return (await json(res)).active;
  }));
  assert.ok(checks.every(Boolean));
});

test('one session: 20 simultaneous refreshes get one successor; later reuse revokes the session once', async () => {
  const pair = await startSession('race');
  const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(issuer.base, pair.refresh_token).then(json)));
  assert.equal(new Set(answers.map((a) => a.refresh_token)).size, 1);
  await sleep(GRACE + 1.5);
  const reuses = await Promise.all(Array.from({ length: 5 }, () => refresh(issuer.base, pair.refresh_token).then(json)));
  const codes = reuses.map((r) => r.code).sort();
  // Exactly one presentation is detected as the reuse; the others find the session revoked.
  assert.deepEqual(codes, ['ERR_JWT_REVOKED', 'ERR_JWT_REVOKED', 'ERR_JWT_REVOKED', 'ERR_JWT_REVOKED', 'ERR_REFRESH_TOKEN_REUSED']);
  const sid = JSON.parse(Buffer.from(pair.access_token.split('.')[1], 'base64url')).sid;
  assert.equal(kvKeys(issuer.persistDir).filter((k) => k.name === `revoked:sid:${sid}`).length, 1);
});

test('hostile HTTP input: every answer is JSON 4xx with a stable error, and /healthz still answers', async () => {
  const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
  const jwt = (header, payload = { sub: 'x', exp: 9999999999 }) => `${b64(header)}.${b64(payload)}.${b64('sig')}`;
  const hostileTokens = [
    jwt({ alg: 'none', typ: 'rt+jwt' }), jwt({ alg: 'EdDSA', crit: ['exp'], exp: 1 }),
    jwt({ alg: 'EdDSA', jku: 'http://127.0.0.1:1/jwks.json' }), jwt({ alg: 'EdDSA', x5u: 'http://127.0.0.1:1/x' }),
    jwt({ alg: 'EdDSA', cty: 'JWT' }, 'x'), `${jwt({ alg: 'EdDSA' })}.${jwt({ alg: 'EdDSA' })}`,
    'a'.repeat(10_000), '....', '%00', '\u202e', 'eyJ', `${b64('{"alg":"EdDSA","alg":"HS256"}')}.e30.AA`,
  ];
  const requests = [];
  for (const token of hostileTokens) {
    requests.push(['POST', '/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`]);
    // HTTP headers carry bytes only: tokens outside ASCII go in the body alone.
    const auth = /^[\x20-\x7e]*$/.test(token) ? { Authorization: `Bearer ${token}` } : {};
    requests.push(['POST', '/introspect', { 'Content-Type': 'application/x-www-form-urlencoded', ...auth }, `token=${encodeURIComponent(token)}`]);
  }
  requests.push(
    ['POST', '/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'x'.repeat(100_000)],
    ['POST', '/token', { 'Content-Type': 'text/plain' }, 'grant_type=refresh_token'],
    ['POST', '/token', {}, ''],
    ['POST', '/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'grant_type=refresh_token&refresh_token='],
    ['POST', '/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'refresh_token=a&refresh_token=b&grant_type=refresh_token'],
    ['POST', '/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, Buffer.from([0xc3, 0x28, 0x3d, 0xff])],
    ['POST', '/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, '%%%%=%%%'],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: issuer.basic }, '['.repeat(5000)],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: issuer.basic }, `{"sub":"a","claims":${'{"a":'.repeat(200)}1${'}'.repeat(200)}}`],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: issuer.basic }, JSON.stringify({ sub: 'x'.repeat(300) })],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: issuer.basic }, '{"sub":"a","sub":"b"}'],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: `Basic ${'A'.repeat(8000)}` }, '{"sub":"a"}'],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: 'Basic Og==' }, '{"sub":"a"}'],
    ['POST', '/sessions', { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('\u00ff:\u0000').toString('base64')}` }, '{"sub":"a"}'],
    ['POST', '/revoke', { 'Content-Type': 'application/x-www-form-urlencoded' }, ''],
    ['POST', '/subjects/%ff/revoke', { Authorization: issuer.basic }, ''],
    ['DELETE', '/token', {}, undefined],
    ['GET', '/../../etc/passwd', {}, undefined],
  );
  for (const [method, path, headers, body] of requests) {
    const res = await fetch(`${issuer.base}${path}`, { method, headers, body });
    const text = await res.text();
    assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${text.slice(0, 120)}`);
    assert.equal(typeof JSON.parse(text).error, 'string', `${method} ${path}`);
  }
  assert.equal((await fetch(`${issuer.base}/healthz`)).status, 200);
});

test('restart: SIGKILL during a burst loses no revocation that was answered 200', async () => {
  const revokedRefresh = [];
  const revokedAccess = [];
  for (let i = 0; i < 10; i++) {
    const pair = await startSession(`kill-${i}`);
    const which = i % 2 === 0 ? pair.refresh_token : pair.access_token;
    const res = await fetch(`${issuer.base}/revoke`, form({ token: which }));
    assert.equal(res.status, 200);
    (i % 2 === 0 ? revokedRefresh : revokedAccess).push(pair);
  }
  // A burst of rotations in flight, then a hard kill.
  const live = await startSession('kill-live');
  const burst = Array.from({ length: 30 }, () => refresh(issuer.base, live.refresh_token).catch(() => null));
  await sleep(0.05);
  await issuer.stop('SIGKILL');
  await Promise.all(burst);
  const old = issuer;
  issuer = await startIssuer({ persistDir: old.persistDir, secrets: old.secrets,
    vars: { EDGE_JWT_REUSE_GRACE: String(GRACE), EDGE_JWT_ISSUER: old.base, EDGE_JWT_AUDIENCE: `${old.base}/api` } });
  for (const pair of revokedRefresh) {
    assert.equal((await json(await refresh(issuer.base, pair.refresh_token))).code, 'ERR_JWT_REVOKED');
  }
  for (const pair of revokedAccess) {
    const res = await fetch(`${issuer.base}/introspect`, { ...form({ token: pair.access_token }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: issuer.basic } });
    assert.deepEqual(await json(res), { active: false });
  }
  assert.equal((await fetch(`${issuer.base}/healthz`)).status, 200);
});
