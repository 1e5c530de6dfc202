// The security review's findings (issue 11), each reproduced against a real `wrangler dev` as
// the review did, and the subject's sessions and security events built on the fixes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'node:http';
import { decodeJwt } from 'jose';
import { root, startIssuer, devVars, startSession as start, form, json, kvKeys, kvDelete } from './harness.mjs';

const GRACE = 3;
let issuer;
// A second trusted client, to show that a client refreshes only its own sessions.
const other = { id: 'e2e-other', secret: 'other-client-secret-0123456789' };

before(async () => {
  const secrets = devVars();
  const clients = { [secrets.clientId]: secrets.clientSecret, [other.id]: other.secret };
  secrets.text = secrets.text.replace(/^EDGE_JWT_CLIENTS='.*'$/m, `EDGE_JWT_CLIENTS='${JSON.stringify(clients)}'`);
  issuer = await startIssuer({ secrets, logLevel: 'log',
    vars: { EDGE_JWT_REUSE_GRACE: String(GRACE), EDGE_JWT_CORS_ORIGINS: 'https://app.test' } });
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const startSession = (body) => start(issuer, body);
const trusted = (init = {}) => ({ ...init, headers: { Authorization: issuer.basic, ...init.headers } });

async function refresh(refreshToken, headers = {}) {
  const init = form({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const res = await fetch(`${issuer.base}/token`, { ...init, headers: { ...init.headers, ...headers } });
  return { status: res.status, body: await json(res), headers: res.headers };
}

async function introspect(token) {
  const init = form({ token });
  const res = await fetch(`${issuer.base}/introspect`, { ...init, headers: { ...init.headers, Authorization: issuer.basic } });
  assert.equal(res.status, 200);
  return json(res);
}

const logout = (sub) => fetch(`${issuer.base}/subjects/${encodeURIComponent(sub)}/revoke`, trusted({ method: 'POST' }));
const revoke = (token) => fetch(`${issuer.base}/revoke`, form({ token }));
const hasKey = (name) => kvKeys(issuer.persistDir).some((k) => k.name === name);

test('finding 1: logout everywhere holds for refresh tokens even when KV never returns the subject entry', async () => {
  const before = await startSession({ sub: 'exact-logout' });
  assert.equal((await logout('exact-logout')).status, 204);
  // KV that never returns the entry: a stale edge location, proved here by deleting it.
  kvDelete(issuer.persistDir, 'revoked:sub:exact-logout');
  const attempt = await refresh(before.refresh_token);
  assert.equal(attempt.status, 400, JSON.stringify(attempt.body));
  assert.equal(attempt.body.code, 'ERR_JWT_REVOKED');
  // A session started after the logout works.
  const after = await startSession({ sub: 'exact-logout' });
  assert.equal((await refresh(after.refresh_token)).status, 200);
});

test('finding 2: revoking what is already revoked writes nothing', async () => {
  const pair = await startSession({ sub: 'revoke-once' });
  const { jti, sid } = decodeJwt(pair.access_token);
  assert.equal((await revoke(pair.access_token)).status, 200);
  assert.ok(hasKey(`revoked:jti:${jti}`));
  kvDelete(issuer.persistDir, `revoked:jti:${jti}`);
  assert.equal((await revoke(pair.access_token)).status, 200);
  assert.equal(hasKey(`revoked:jti:${jti}`), false, 'the second revoke wrote KV again');
  assert.equal((await revoke(pair.refresh_token)).status, 200);
  assert.ok(hasKey(`revoked:sid:${sid}`));
  kvDelete(issuer.persistDir, `revoked:sid:${sid}`);
  assert.equal((await revoke(pair.refresh_token)).status, 200);
  assert.equal(hasKey(`revoked:sid:${sid}`), false, 'the second session revoke wrote KV again');
});

test('finding 3: a replay inside the grace window mints nothing: the same access and refresh token', async () => {
  const pair = await startSession({ sub: 'replay' });
  const first = await refresh(pair.refresh_token);
  assert.equal(first.status, 200);
  for (let i = 0; i < 5; i++) {
    const replay = await refresh(pair.refresh_token);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.access_token, first.body.access_token);
    assert.equal(replay.body.refresh_token, first.body.refresh_token);
  }
});

test('finding 4: Durable Object storage never holds a usable token', async () => {
  const pair = await startSession({ sub: 'at-rest' });
  const next = await refresh(pair.refresh_token);
  assert.equal(next.status, 200);
  await sleep(0.5);
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(issuer.persistDir);
  const signature = (token) => token.split('.')[2];
  for (const file of files) {
    const bytes = readFileSync(file).toString('latin1');
    for (const token of [next.body.refresh_token, next.body.access_token, pair.refresh_token]) {
      assert.equal(bytes.includes(signature(token)), false, `${file} holds a token`);
    }
  }
});

test('finding 5: two logouts in one second never miss a session started between them', async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const sub = `double-logout-${attempt}`;
    const t0 = Math.floor(Date.now() / 1000);
    assert.equal((await logout(sub)).status, 204);
    const between = await startSession({ sub });
    assert.equal((await logout(sub)).status, 204);
    assert.deepEqual(await introspect(between.access_token), { active: false });
    assert.equal((await refresh(between.refresh_token)).body.code, 'ERR_JWT_REVOKED');
    if (Math.floor(Date.now() / 1000) === t0) return; // the case the finding is about was covered
  }
});

test('finding 6: /sessions refuses claims that would make tokens over the verifier limit', async () => {
  const res = await fetch(`${issuer.base}/sessions`, trusted({ method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sub: 'big', claims: { blob: 'x'.repeat(9000) } }) }));
  const body = await json(res);
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /8192/);
});

test('finding 7: the subject in the path is percent-decoded per RFC 3986 (+ stays +), bad paths are 400', async () => {
  const plus = await startSession({ sub: 'ann+test@example.com' });
  const space = await startSession({ sub: 'ann test@example.com' });
  const res = await fetch(`${issuer.base}/subjects/ann+test%40example.com/revoke`, trusted({ method: 'POST' }));
  assert.equal(res.status, 204);
  assert.equal((await introspect(plus.access_token)).active, false);
  assert.equal((await introspect(space.access_token)).active, true, 'revoked the wrong subject');
  for (const path of ['/subjects/%zz/revoke', '/subjects/%ff/revoke', `/subjects/${'a'.repeat(300)}/revoke`]) {
    const bad = await fetch(`${issuer.base}${path}`, trusted({ method: 'POST' }));
    assert.equal(bad.status, 400, path);
    assert.equal((await json(bad)).error, 'invalid_request');
  }
});

test('finding 8: /token checks client credentials when presented; a client refreshes only its own tokens', async () => {
  const pair = await startSession({ sub: 'client-auth' });
  const wrong = await refresh(pair.refresh_token, { Authorization: basic(issuer.secrets.clientId, 'wrong-secret') });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid_client');
  assert.match(wrong.headers.get('www-authenticate'), /^Basic /);
  const foreign = await refresh(pair.refresh_token, { Authorization: basic(other.id, other.secret) });
  assert.equal(foreign.status, 400);
  assert.equal(foreign.body.error, 'invalid_grant');
  const own = await refresh(pair.refresh_token, { Authorization: issuer.basic });
  assert.equal(own.status, 200);
  // A public client (no Authorization) still refreshes.
  assert.equal((await refresh(own.body.refresh_token)).status, 200);
});

test('finding 10: a body without Content-Length is cut off at 16 KiB, not buffered whole', async () => {
  const url = new URL(`${issuer.base}/token`);
  const status = await new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' } });
    const timer = setTimeout(() => { req.destroy(); resolve('no answer while the body was still open'); }, 15_000);
    req.on('response', (res) => { clearTimeout(timer); res.resume(); resolve(res.statusCode); req.destroy(); });
    req.on('error', (e) => { if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') reject(e); });
    // 20 KiB, then the body stays open: only a server that stops at the limit can answer.
    req.write(`grant_type=refresh_token&refresh_token=${'x'.repeat(20 * 1024)}`);
  });
  assert.equal(status, 413);
});

test('finding 11: Vary: Origin on every answer whose headers depend on Origin', async () => {
  for (const headers of [{}, { Origin: 'https://evil.test' }, { Origin: 'https://app.test' }]) {
    for (const path of ['/.well-known/jwks.json', '/.well-known/oauth-authorization-server']) {
      const res = await fetch(`${issuer.base}${path}`, { headers });
      assert.match(res.headers.get('vary') ?? '', /Origin/, `${path} ${JSON.stringify(headers)}`);
    }
  }
});

test('finding 12: a consumed refresh token introspects inactive; the live one active, as a refresh token', async () => {
  const pair = await startSession({ sub: 'introspect-rt' });
  const live = await introspect(pair.refresh_token);
  assert.equal(live.active, true);
  assert.equal(live.token_type, 'refresh_token');
  const next = await refresh(pair.refresh_token);
  await sleep(GRACE + 1.5);
  assert.deepEqual(await introspect(pair.refresh_token), { active: false });
  assert.equal((await introspect(next.body.refresh_token)).active, true);
});

test('finding 13: make dev writes .dev.vars readable by its owner only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-jwt-devvars-'));
  const path = join(dir, '.dev.vars');
  execFileSync(join(root, 'scripts', 'dev-vars.sh'), [path], { cwd: root, encoding: 'utf8' });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, 'utf8'), /^EDGE_JWT_SIGNING_KEYS=/m);
  rmSync(dir, { recursive: true, force: true });
});

test('finding 13: a percent sign needs two hex digits in form bodies', async () => {
  const res = await fetch(`${issuer.base}/token`, { ...form({}), body: 'grant_type=refresh_token&refresh_token=%+9' });
  assert.equal(res.status, 400);
  assert.equal((await json(res)).error, 'invalid_request');
});

test('a subject\'s sessions: listed live, one ended by its sid, the others kept', async () => {
  const sub = 'devices@example.com';
  const phone = await startSession({ sub });
  const laptop = await startSession({ sub });
  await refresh(laptop.refresh_token);
  const path = `${issuer.base}/subjects/${encodeURIComponent(sub)}/sessions`;
  const listed = await fetch(path, trusted());
  assert.equal(listed.status, 200);
  const { sessions } = await json(listed);
  assert.equal(sessions.length, 2);
  const phoneSid = decodeJwt(phone.access_token).sid;
  const laptopSid = decodeJwt(laptop.access_token).sid;
  assert.deepEqual(sessions.map((s) => s.sid).sort(), [phoneSid, laptopSid].sort());
  for (const s of sessions) {
    assert.equal(s.client_id, issuer.secrets.clientId);
    assert.ok(s.started_at > 0 && s.ends_at > s.started_at && s.last_refreshed_at >= s.started_at);
  }
  assert.ok(sessions.find((s) => s.sid === laptopSid).last_refreshed_at >= sessions.find((s) => s.sid === phoneSid).last_refreshed_at);
  const end = await fetch(`${path}/${phoneSid}/revoke`, trusted({ method: 'POST' }));
  assert.equal(end.status, 204);
  assert.equal((await refresh(phone.refresh_token)).body.code, 'ERR_JWT_REVOKED');
  assert.equal((await introspect(phone.access_token)).active, false);
  const remaining = (await json(await fetch(path, trusted()))).sessions;
  assert.deepEqual(remaining.map((s) => s.sid), [laptopSid]);
  // A sid of another subject is not found here; no client authentication is 401.
  const stranger = await startSession({ sub: 'someone-else' });
  const foreign = await fetch(`${path}/${decodeJwt(stranger.access_token).sid}/revoke`, trusted({ method: 'POST' }));
  assert.equal(foreign.status, 404);
  assert.equal((await introspect(stranger.access_token)).active, true);
  assert.equal((await fetch(path)).status, 401);
});

test('security events: one JSON line per event, with sid, sub, client and address, never a token', async () => {
  const pair = await startSession({ sub: 'events' });
  await refresh(pair.refresh_token);
  await sleep(GRACE + 1.5);
  await refresh(pair.refresh_token); // reuse
  await refresh(pair.refresh_token, { Authorization: basic(issuer.secrets.clientId, 'wrong-secret') });
  const fresh = await startSession({ sub: 'events' });
  await revoke(fresh.access_token);
  await revoke(fresh.refresh_token);
  await logout('events');
  await sleep(1);
  const events = issuer.log().split('\n')
    .map((line) => line.slice(line.indexOf('{')))
    .filter((line) => line.includes('"edge_jwt_event"'))
    .map((line) => JSON.parse(line))
    .filter((e) => e.sub === 'events' || e.event === 'client_authentication_failed');
  const names = new Set(events.map((e) => e.event));
  for (const name of ['refresh_token_reused', 'session_revoked', 'token_revoked', 'subject_logged_out', 'client_authentication_failed']) {
    assert.ok(names.has(name), `no ${name} event in ${JSON.stringify(events)}`);
  }
  const reused = events.find((e) => e.event === 'refresh_token_reused');
  assert.equal(reused.sid, decodeJwt(pair.access_token).sid);
  assert.equal(reused.client_id, issuer.secrets.clientId);
  assert.equal(typeof reused.time, 'number');
  assert.ok('client_address' in reused);
  const text = JSON.stringify(events);
  for (const token of [pair.access_token, pair.refresh_token, fresh.access_token]) {
    assert.equal(text.includes(token.split('.')[2]), false, 'an event carries a token');
  }
  assert.equal(text.includes('wrong-secret'), false);
});

// Last: it spends this address's /revoke budget for the rest of the window.
test('finding 2: /revoke is rate-limited per client address, with a JSON 429 and Retry-After', async () => {
  let limited;
  for (let i = 0; i < 400 && !limited; i++) {
    const res = await revoke('not-a-token');
    if (res.status === 429) limited = res;
    else assert.equal(res.status, 200);
  }
  assert.ok(limited, 'no 429 after 400 requests');
  const body = await json(limited);
  assert.equal(body.error, 'too_many_requests');
  assert.match(body.error_description, /try again/);
  assert.match(limited.headers.get('retry-after'), /^\d+$/);
  // Trusted endpoints are not behind the unauthenticated limit.
  assert.equal((await introspect('x')).active, false);
});
