// End-to-end tests of the issuer against a real `wrangler dev` (workerd, local KV and Durable
// Objects on disk), with jose as an independent verifier.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, decodeJwt, SignJWT, generateKeyPair } from 'jose';
import { startIssuer, startSession as start, form, json, kvKeys as readKvKeys } from './harness.mjs';

const GRACE = 2; // seconds; short so that "after the grace window" is quick to reach
let issuer;

before(async () => {
  issuer = await startIssuer({
    vars: { EDGE_JWT_REUSE_GRACE: String(GRACE), EDGE_JWT_CORS_ORIGINS: 'https://app.test' },
  });
  console.log(`wrangler dev answered after ${issuer.startupMs} ms`);
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

const startSession = (body = { sub: 'alice', claims: { role: 'admin' }, scope: 'read' }) => start(issuer, body);

async function refresh(refreshToken) {
  const res = await fetch(`${issuer.base}/token`, form({ grant_type: 'refresh_token', refresh_token: refreshToken }));
  return { status: res.status, body: await json(res), headers: res.headers };
}

async function introspect(token) {
  const res = await fetch(`${issuer.base}/introspect`, {
    ...form({ token }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: issuer.basic },
  });
  assert.equal(res.status, 200);
  return json(res);
}

const kvKeys = () => readKvKeys(issuer.persistDir);

test('a session access token verifies with jose against the JWKS, with typ, iss, aud and exp', async () => {
  const pair = await startSession();
  assert.equal(pair.token_type, 'Bearer');
  assert.equal(pair.expires_in, 300);
  assert.equal(pair.scope, 'read');
  const jwks = createRemoteJWKSet(new URL(`${issuer.base}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(pair.access_token, jwks, {
    issuer: issuer.base, audience: `${issuer.base}/api`, typ: 'at+jwt', algorithms: ['EdDSA'],
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.sub, 'alice');
  assert.equal(payload.role, 'admin');
  assert.equal(payload.client_id, issuer.secrets.clientId);
  assert.equal(payload.exp - payload.iat, 300);
  assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/);
  // The refresh token is not an access token, for jose either.
  await assert.rejects(jwtVerify(pair.refresh_token, jwks, { typ: 'at+jwt' }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
});

test('the JWKS and metadata are public and cacheable; token answers are no-store', async () => {
  const jwks = await fetch(`${issuer.base}/.well-known/jwks.json`);
  assert.match(jwks.headers.get('cache-control'), /max-age=\d+/);
  const keys = (await json(jwks)).keys;
  assert.equal(keys.length, 1);
  assert.equal(keys[0].d, undefined, 'no private key material');
  const meta = await json(await fetch(`${issuer.base}/.well-known/oauth-authorization-server`));
  assert.equal(meta.issuer, issuer.base);
  assert.equal(meta.token_endpoint, `${issuer.base}/token`);
  assert.equal(meta.jwks_uri, `${issuer.base}/.well-known/jwks.json`);
  const pair = await startSession();
  const rotated = await refresh(pair.refresh_token);
  assert.equal(rotated.headers.get('cache-control'), 'no-store');
});

test('refresh returns a new pair; the old refresh token fails after the grace window', async () => {
  const pair = await startSession();
  const next = await refresh(pair.refresh_token);
  assert.equal(next.status, 200);
  assert.notEqual(next.body.refresh_token, pair.refresh_token);
  assert.notEqual(next.body.access_token, pair.access_token);
  assert.equal(decodeJwt(next.body.access_token).sid, decodeJwt(pair.access_token).sid);
  await sleep(GRACE + 1.5);
  const reuse = await refresh(pair.refresh_token);
  assert.equal(reuse.status, 400);
  assert.equal(reuse.body.error, 'invalid_grant');
  assert.equal(reuse.body.code, 'ERR_REFRESH_TOKEN_REUSED');
});

test('50 refreshes of one token at once all succeed and return one and the same refresh token', async () => {
  const pair = await startSession();
  const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(pair.refresh_token)));
  assert.deepEqual(answers.map((a) => a.status), Array(50).fill(200));
  const successors = new Set(answers.map((a) => a.body.refresh_token));
  assert.equal(successors.size, 1, 'the session forked');
  // And that successor is the live one.
  const next = await refresh([...successors][0]);
  assert.equal(next.status, 200);
});

test('a normal rotation writes no KV key', async () => {
  const before = kvKeys().length;
  const pair = await startSession({ sub: 'kv-counter' });
  let token = pair.refresh_token;
  for (let i = 0; i < 5; i++) {
    const next = await refresh(token);
    assert.equal(next.status, 200);
    token = next.body.refresh_token;
  }
  assert.equal(kvKeys().length, before);
});

test('reuse after the grace window revokes the session: its newest refresh token and access token die', async () => {
  const pair = await startSession({ sub: 'bob' });
  const next = await refresh(pair.refresh_token);
  assert.equal((await introspect(next.body.access_token)).active, true);
  await sleep(GRACE + 1.5);
  assert.equal((await refresh(pair.refresh_token)).body.code, 'ERR_REFRESH_TOKEN_REUSED');
  const newest = await refresh(next.body.refresh_token);
  assert.equal(newest.status, 400);
  assert.equal(newest.body.error, 'invalid_grant');
  assert.equal(newest.body.code, 'ERR_JWT_REVOKED');
  assert.deepEqual(await introspect(next.body.access_token), { active: false });
  // The session's revocation entry expires on its own: at the session's end plus leeway.
  const sid = decodeJwt(pair.access_token).sid;
  const entry = kvKeys().find((k) => k.name === `revoked:sid:${sid}`);
  assert.ok(entry, 'revocation entry written');
  const sessionEnd = decodeJwt(pair.refresh_token).session_end;
  assert.ok(Math.abs(entry.expiration - (sessionEnd + 30)) <= 5, `expiration ${entry.expiration} vs ${sessionEnd + 30}`);
});

test('/revoke of an access token makes it introspect inactive; its KV entry expires with it', async () => {
  const pair = await startSession({ sub: 'carol' });
  const res = await fetch(`${issuer.base}/revoke`, form({ token: pair.access_token }));
  assert.equal(res.status, 200);
  assert.deepEqual(await introspect(pair.access_token), { active: false });
  const { jti, exp } = decodeJwt(pair.access_token);
  const entry = kvKeys().find((k) => k.name === `revoked:jti:${jti}`);
  assert.ok(entry, 'revocation entry written');
  assert.ok(Math.abs(entry.expiration - (exp + 30)) <= 5, `expiration ${entry.expiration} vs ${exp + 30}`);
  // The refresh token is untouched by revoking the access token.
  assert.equal((await refresh(pair.refresh_token)).status, 200);
});

test('/revoke of a refresh token ends the session; unknown tokens answer 200', async () => {
  const pair = await startSession({ sub: 'dave' });
  assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: pair.refresh_token }))).status, 200);
  assert.equal((await refresh(pair.refresh_token)).body.code, 'ERR_JWT_REVOKED');
  assert.deepEqual(await introspect(pair.access_token), { active: false });
  assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: 'not-a-token' }))).status, 200);
});

test('logout everywhere refuses every earlier token and spares a session started after it', async () => {
  const one = await startSession({ sub: 'erin' });
  const two = await startSession({ sub: 'erin' });
  const other = await startSession({ sub: 'frank' });
  const res = await fetch(`${issuer.base}/subjects/erin/revoke`, { method: 'POST', headers: { Authorization: issuer.basic } });
  assert.equal(res.status, 204);
  for (const pair of [one, two]) {
    assert.deepEqual(await introspect(pair.access_token), { active: false });
    assert.equal((await refresh(pair.refresh_token)).body.code, 'ERR_JWT_REVOKED');
  }
  assert.equal((await introspect(other.access_token)).active, true);
  const after = await startSession({ sub: 'erin' });
  assert.equal((await introspect(after.access_token)).active, true);
  assert.equal((await refresh(after.refresh_token)).status, 200);
  const entry = kvKeys().find((k) => k.name === 'revoked:sub:erin');
  assert.ok(entry.expiration > Date.now() / 1000 + 14 * 86400 - 60, 'lasts a refresh-token lifetime');
});

test('introspection says inactive for expired, malformed and foreign tokens', async () => {
  assert.deepEqual(await introspect('garbage'), { active: false });
  const { privateKey } = await generateKeyPair('EdDSA');
  const foreign = await new SignJWT({ sub: 'alice', sid: 's', client_id: 'c' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'other' })
    .setIssuer(issuer.base).setAudience(`${issuer.base}/api`).setIssuedAt().setJti('j').setExpirationTime('5m')
    .sign(privateKey);
  assert.deepEqual(await introspect(foreign), { active: false });
  const pair = await startSession({ sub: 'refresh-introspect' });
  const answer = await introspect(pair.refresh_token);
  assert.equal(answer.token_type, 'refresh_token');
});

const errorRows = [
  ['token: missing grant_type', () => fetch(`${issuer.base}/token`, form({ refresh_token: 'x' })), 400, 'invalid_request'],
  ['token: duplicated parameter', () => fetch(`${issuer.base}/token`, { ...form({}), body: 'grant_type=refresh_token&grant_type=refresh_token&refresh_token=x' }), 400, 'invalid_request'],
  ['token: wrong content type', () => fetch(`${issuer.base}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"grant_type":"refresh_token"}' }), 400, 'invalid_request'],
  ['token: invalid UTF-8', () => fetch(`${issuer.base}/token`, { ...form({}), body: Buffer.from([0x67, 0x3d, 0xff]) }), 400, 'invalid_request'],
  ['token: unsupported grant', () => fetch(`${issuer.base}/token`, form({ grant_type: 'password', username: 'a' })), 400, 'unsupported_grant_type'],
  ['token: garbage refresh token', () => fetch(`${issuer.base}/token`, form({ grant_type: 'refresh_token', refresh_token: 'a.b.c' })), 400, 'invalid_grant'],
  ['token: an access token as refresh token', async () => {
    const pair = await startSession({ sub: 'typ-check' });
    return fetch(`${issuer.base}/token`, form({ grant_type: 'refresh_token', refresh_token: pair.access_token }));
  }, 400, 'invalid_grant'],
  ['token: body over 16 KiB', () => fetch(`${issuer.base}/token`, form({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(17 * 1024) })), 413, 'invalid_request'],
  ['sessions: no client authentication', () => fetch(`${issuer.base}/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"sub":"a"}' }), 401, 'invalid_client'],
  ['sessions: wrong client secret', () => fetch(`${issuer.base}/sessions`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${issuer.secrets.clientId}:wrong`).toString('base64')}`, 'Content-Type': 'application/json' }, body: '{"sub":"a"}' }), 401, 'invalid_client'],
  ['sessions: bad JSON', () => fetch(`${issuer.base}/sessions`, { method: 'POST', headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' }, body: '{"sub":' }), 400, 'invalid_request'],
  ['sessions: reserved claim', () => fetch(`${issuer.base}/sessions`, { method: 'POST', headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' }, body: '{"sub":"a","claims":{"exp":1}}' }), 400, 'invalid_request'],
  ['introspect: no client authentication', () => fetch(`${issuer.base}/introspect`, form({ token: 'x' })), 401, 'invalid_client'],
  ['subjects: no client authentication', () => fetch(`${issuer.base}/subjects/alice/revoke`, { method: 'POST' }), 401, 'invalid_client'],
  ['method not allowed', () => fetch(`${issuer.base}/token`), 405, 'method_not_allowed'],
  ['unknown path', () => fetch(`${issuer.base}/nope`), 404, 'not_found'],
  ['demo login when the demo is off', () => fetch(`${issuer.base}/demo/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"x"}' }), 404, 'not_found'],
];

for (const [name, send, status, error] of errorRows) {
  test(`error row: ${name} → ${status} ${error}`, async () => {
    const res = await send();
    const body = await json(res);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(body.error, error);
    assert.equal(typeof body.error_description, 'string');
    if (status === 401) assert.match(res.headers.get('www-authenticate'), /^Basic /);
    if (status === 405) assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
  });
}

test('CORS headers only for the configured origins', async () => {
  const allowed = await fetch(`${issuer.base}/token`, { method: 'OPTIONS', headers: { Origin: 'https://app.test', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.test');
  const denied = await fetch(`${issuer.base}/token`, { method: 'OPTIONS', headers: { Origin: 'https://evil.test' } });
  assert.equal(denied.headers.get('access-control-allow-origin'), null);
});
