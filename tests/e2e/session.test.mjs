// The npm package's Session (installed from the tarball) against a real `wrangler dev` with
// the demo login on: single-flight refresh, invalid_grant ending the session, one retry on 401.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIssuer, json } from './harness.mjs';
import { installPackage, importFrom } from '../npm/install.mjs';

let issuer;
let pkg;

before(async () => {
  pkg = await importFrom(installPackage());
  issuer = await startIssuer({ vars: { EDGE_JWT_DEMO_LOGIN: 'true' } });
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

async function login(name) {
  const res = await fetch(`${issuer.base}/demo/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 201);
  return json(res);
}

/** A fetch that counts requests per path. */
function countingFetch() {
  const counts = {};
  const wrapped = (input, init) => {
    const path = new URL(String(input)).pathname;
    counts[path] = (counts[path] ?? 0) + 1;
    return fetch(input, init);
  };
  return { fetch: wrapped, counts };
}

test('50 concurrent accessToken() calls when a refresh is due make exactly one /token request', async () => {
  const tokens = await login('alice');
  const { fetch: counted, counts } = countingFetch();
  // A clock 290 s ahead: the 300 s access token is inside the 30 s skew.
  const session = new pkg.Session({ issuer: issuer.base, tokens, fetch: counted, now: () => Math.floor(Date.now() / 1000) + 290 });
  let refreshes = 0;
  session.addEventListener('refresh', () => { refreshes++; });
  const all = await Promise.all(Array.from({ length: 50 }, () => session.accessToken()));
  assert.equal(counts['/token'], 1);
  assert.equal(new Set(all).size, 1);
  assert.notEqual(all[0], tokens.access_token);
  assert.equal(refreshes, 1);
});

test('a refresh answered invalid_grant rejects every waiting caller and ends the session', async () => {
  const tokens = await login('bob');
  // The refresh token is revoked behind the session's back (another device logged out).
  assert.equal((await fetch(`${issuer.base}/revoke`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${tokens.refresh_token}` })).status, 200);
  const storage = new Map();
  const store = { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v), removeItem: (k) => storage.delete(k) };
  const session = new pkg.Session({ issuer: issuer.base, tokens, storage: store, now: () => Math.floor(Date.now() / 1000) + 290 });
  let ended;
  session.addEventListener('end', (e) => { ended = e.reason; });
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => session.accessToken()));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(r.reason instanceof pkg.JwtError);
    assert.equal(r.reason.error, 'invalid_grant');
    assert.equal(r.reason.code, 'ERR_JWT_REVOKED');
  }
  assert.equal(ended, 'invalid_grant');
  assert.equal(storage.size, 0, 'storage cleared');
  assert.equal(session.active, false);
});

test('session.fetch refreshes once and retries once on a 401', async () => {
  const tokens = await login('carol');
  const { fetch: counted, counts } = countingFetch();
  const session = new pkg.Session({ issuer: issuer.base, tokens, fetch: counted });
  assert.equal((await (await session.fetch(`${issuer.base}/demo/me`)).json()).sub, 'demo:carol');
  // The access token is revoked: the resource answers 401, the session refreshes and retries.
  await fetch(`${issuer.base}/revoke`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${tokens.access_token}` });
  const retried = await session.fetch(`${issuer.base}/demo/me`);
  assert.equal(retried.status, 200);
  assert.equal(counts['/demo/me'], 3);
  assert.equal(counts['/token'], 1);
  // A resource that keeps answering 401 (here: it wants client credentials) is retried once only.
  const unauthorized = await session.fetch(`${issuer.base}/introspect`, { method: 'POST' });
  assert.equal(unauthorized.status, 401);
  assert.equal(counts['/introspect'], 2);
  assert.equal(counts['/token'], 2);
  await session.end();
  assert.equal(session.active, false);
  assert.equal((await fetch(`${issuer.base}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&refresh_token=${tokens.refresh_token}` })).status, 400);
});

test('the demo resource answers 401 invalid_token with WWW-Authenticate for a bad token', async () => {
  const res = await fetch(`${issuer.base}/demo/me`, { headers: { Authorization: 'Bearer nope' } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate'), /^Bearer error="invalid_token"/);
  assert.equal((await json(res)).error, 'invalid_token');
});

/** A fetch that records the Authorization sent per URL; foreign origins answer 401 offline. */
function recordingFetch({ failRevoke = false, slowToken = 0 } = {}) {
  const sent = [];
  const counts = {};
  const state = { failRevoke };
  const wrapped = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const authorization = new Headers(init.headers).get('authorization');
    sent.push({ origin: url.origin, path: url.pathname, authorization });
    counts[url.pathname] = (counts[url.pathname] ?? 0) + 1;
    if (url.origin !== issuer.base) return new Response('{}', { status: url.hostname === 'api.test' ? 200 : 401 });
    if (state.failRevoke && url.pathname === '/revoke') return new Response('{"error":"temporarily_unavailable"}', { status: 503 });
    if (slowToken && url.pathname === '/token') await new Promise((r) => setTimeout(r, slowToken));
    return fetch(input, init);
  };
  return { fetch: wrapped, sent, counts, state };
}

test('session.fetch sends the token only to the issuer and the listed origins; a foreign 401 refreshes nothing', async () => {
  const tokens = await login('dora');
  const recorder = recordingFetch();
  const session = new pkg.Session({ issuer: issuer.base, tokens, fetch: recorder.fetch, origins: ['https://api.test'] });
  const foreign = await session.fetch('https://evil.test/collect');
  assert.equal(foreign.status, 401, 'answered as is');
  assert.equal(recorder.sent.find((s) => s.origin === 'https://evil.test').authorization, null, 'no token to a foreign origin');
  assert.equal(recorder.counts['/token'] ?? 0, 0, 'a foreign 401 forces no refresh');
  await session.fetch(new Request('https://api.test/me'));
  assert.equal(recorder.sent.find((s) => s.origin === 'https://api.test').authorization, `Bearer ${tokens.access_token}`);
  const own = await session.fetch(`${issuer.base}/demo/me`);
  assert.equal(own.status, 200);
  assert.throws(() => new pkg.Session({ issuer: issuer.base, origins: 'https://api.test' }), { code: 'ERR_INVALID_OPTION' });
});

test('session.end() clears at once and reports a failed revocation, which retry() completes', async () => {
  const tokens = await login('erin');
  const recorder = recordingFetch({ failRevoke: true });
  const session = new pkg.Session({ issuer: issuer.base, tokens, fetch: recorder.fetch });
  const failure = await session.end().then(() => null, (e) => e);
  assert.ok(failure, 'end() rejected');
  assert.equal(failure.code, 'ERR_REVOKE_FAILED');
  assert.equal(failure.status, 503);
  assert.equal(session.active, false, 'the tokens are gone here all the same');
  const refresh = (token) => fetch(`${issuer.base}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `grant_type=refresh_token&refresh_token=${token}` });
  // Not revoked at the issuer: the session lives on there until retry() reaches it.
  const rotated = await json(await refresh(tokens.refresh_token));
  assert.ok(rotated.refresh_token, 'still live at the issuer before retry()');
  recorder.state.failRevoke = false;
  await failure.retry();
  assert.equal((await refresh(rotated.refresh_token)).status, 400, 'revoked by retry()');
});

test('a refresh in flight when the session ends stores nothing', async () => {
  const tokens = await login('fay');
  const recorder = recordingFetch({ slowToken: 400 });
  const session = new pkg.Session({ issuer: issuer.base, tokens, fetch: recorder.fetch });
  const refreshing = session.refresh({ force: true }).then(() => null, (e) => e);
  await new Promise((r) => setTimeout(r, 100));
  await session.end();
  const error = await refreshing;
  assert.equal(error?.code, 'ERR_SESSION_ENDED');
  assert.equal(session.active, false, 'the late refresh stored no tokens');
  assert.equal(session.tokens, null);
});
