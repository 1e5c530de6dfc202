// Managed signing keys (EDGE_JWT_KEY_ROTATION) under a real `wrangler dev --test-scheduled`:
// GET /__scheduled runs the Cron Trigger. Short periods stand for 30 days: a key signs 8 s,
// is published 2 s before it signs. Every verifier here keeps the JWKS it fetched first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startIssuer, startSession, form, json, kvKeys, root } from './harness.mjs';
import { installPackage, importFrom } from '../npm/install.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kidOf = (token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url')).kid;
let issuer;
let pkg;
let wrap;

before(async () => {
  wrap = execFileSync(join(root, 'target', 'debug', 'edge-jwt'), ['keygen', '--wrap'], { encoding: 'utf8' }).trim();
  issuer = await startIssuer({
    testScheduled: true, logLevel: 'log',
    vars: { EDGE_JWT_KEY_ROTATION: '8s', EDGE_JWT_KEY_PUBLISH_AHEAD: '2s', EDGE_JWT_KEY_WRAP: wrap, EDGE_JWT_ACCESS_TTL: '60' },
  });
  pkg = await importFrom(installPackage());
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

const jwksKids = async () => (await json(await fetch(`${issuer.base}/.well-known/jwks.json`))).keys.map((k) => k.kid);
const keys = async () => json(await fetch(`${issuer.base}/keys`, { headers: { Authorization: issuer.basic } }));
const refresh = (token) => fetch(`${issuer.base}/token`, form({ grant_type: 'refresh_token', refresh_token: token }));
const scheduled = () => fetch(`${issuer.base}/__scheduled?cron=0+*+*+*+*`);

test('keys rotate with no hand step, and no verifier meets an unknown kid; a revoked key is refused at once', async () => {
  // The first request makes the ring: a key that signs and the next one, both published.
  const [current, next] = await jwksKids();
  assert.ok(current && next, 'two keys published');
  const listed = (await keys()).keys;
  assert.deepEqual(listed.map((k) => [k.kid, k.state]), [[current, 'current'], [next, 'next']]);
  assert.ok(listed.every((k) => !('d' in k) && !('wrapped' in k)), 'no key material listed');

  // A verifier that fetches the JWKS now, and keeps it (no refetch allowed: its fetches are counted).
  let fetches = 0;
  const remote = new pkg.RemoteJwks(`${issuer.base}/.well-known/jwks.json`, {
    cacheMaxAge: 600, cooldown: 600, fetch: (...args) => { fetches += 1; return fetch(...args); },
  });
  const verifier = pkg.Verifier.fromRemote(remote, { issuer: issuer.base, audience: `${issuer.base}/api` });
  const before = await startSession(issuer, { sub: 'before-rotation' });
  assert.equal(kidOf(before.access_token), current);
  assert.equal((await verifier.verify(before.access_token)).sub, 'before-rotation');

  // Not due yet: a Cron run changes nothing.
  assert.equal((await scheduled()).status, 200);
  assert.deepEqual(await jwksKids(), [current, next]);
  // Due: the next key signs, the old one retires (still published for its access tokens).
  await sleep(8200);
  assert.equal((await scheduled()).status, 200);
  const afterKids = await jwksKids();
  assert.equal(afterKids.length, 3);
  assert.ok(afterKids.includes(current) && afterKids.includes(next));
  const after = await startSession(issuer, { sub: 'after-rotation' });
  assert.equal(kidOf(after.access_token), next, 'the key published ahead now signs');
  // The verifier never refetched: the new kid was in the JWKS it already had.
  assert.equal((await verifier.verify(after.access_token)).sub, 'after-rotation');
  assert.equal(fetches, 1);
  // Tokens from before the rotation keep working: the access token verifies, the refresh rotates.
  assert.equal((await verifier.verify(before.access_token)).sub, 'before-rotation');
  const rotated = await refresh(before.refresh_token);
  assert.equal(rotated.status, 200);
  assert.equal(kidOf((await json(rotated)).access_token), next);

  // The emergency: the signing key is revoked.
  const revoked = await fetch(`${issuer.base}/keys/${next}/revoke`, { method: 'POST', headers: { Authorization: issuer.basic } });
  assert.equal(revoked.status, 200);
  assert.ok(!(await jwksKids()).includes(next), 'out of the JWKS at once');
  const refused = await refresh(after.refresh_token);
  assert.equal(refused.status, 400);
  assert.equal((await json(refused)).error, 'invalid_grant');
  // A new key signs at once, and the list says what happened (read at once: the periods here
  // are seconds, so a later read may already find the next rotation done).
  const third = await startSession(issuer, { sub: 'after-revoke' });
  const states = Object.fromEntries((await keys()).keys.map((k) => [k.kid, k.state]));
  assert.equal(states[next], 'revoked');
  assert.equal(states[current], 'retired');
  assert.equal(states[kidOf(third.access_token)], 'current');
  assert.match(issuer.log(), /signing_key_revoked/);
  // The package's revocation check refuses its access tokens, through the KV entry.
  const stored = new Set(kvKeys(issuer.persistDir).map((k) => k.name));
  assert.ok(stored.has(`revoked:kid:${next}`));
  const kv = { get: (key) => (stored.has(key) ? '1' : null) };
  await assert.rejects(verifier.verifyNotRevoked(after.access_token, kv), { code: 'ERR_JWT_REVOKED' });
  assert.equal((await verifier.verifyNotRevoked(before.access_token, kv)).sub, 'before-rotation');
});

test('the keys endpoints need the keys permission, and rotation on demand waits for the next key to be known', async () => {
  assert.equal((await fetch(`${issuer.base}/keys`)).status, 401);
  const early = await fetch(`${issuer.base}/keys/rotate`, { method: 'POST', headers: { Authorization: issuer.basic } });
  const body = await json(early);
  if (early.status === 400) assert.match(body.error_description, /EDGE_JWT_KEY_PUBLISH_AHEAD/);
  else assert.equal(early.status, 200, JSON.stringify(body));
  const unknown = await fetch(`${issuer.base}/keys/no-such-key/revoke`, { method: 'POST', headers: { Authorization: issuer.basic } });
  assert.equal(unknown.status, 400);
});

test('another wrap secret cannot open the stored keys: 503 naming the setting, and nothing stored is lost', async () => {
  const persistDir = issuer.persistDir;
  const kidsBefore = await jwksKids();
  const vars = { EDGE_JWT_KEY_ROTATION: '8s', EDGE_JWT_KEY_PUBLISH_AHEAD: '2s', EDGE_JWT_ACCESS_TTL: '60' };
  await issuer.stop();
  const cli = join(root, 'target', 'debug', 'edge-jwt');
  const other = execFileSync(cli, ['keygen', '--wrap'], { encoding: 'utf8' }).trim();
  issuer = await startIssuer({ persistDir, secrets: issuer.secrets, testScheduled: true, vars: { ...vars, EDGE_JWT_KEY_WRAP: other } });
  const refused = await fetch(`${issuer.base}/.well-known/jwks.json`);
  assert.equal(refused.status, 503);
  assert.match((await json(refused)).error_description, /EDGE_JWT_KEY_WRAP/);
  // With the right secret again, the same keys: nothing was lost or replaced.
  await issuer.stop();
  issuer = await startIssuer({ persistDir, secrets: issuer.secrets, testScheduled: true, vars: { ...vars, EDGE_JWT_KEY_WRAP: wrap } });
  const kidsAfter = await jwksKids();
  assert.ok(kidsBefore.every((kid) => kidsAfter.includes(kid)) || kidsAfter.length === 3, JSON.stringify({ kidsBefore, kidsAfter }));
  assert.ok(kidsBefore.some((kid) => kidsAfter.includes(kid)), 'the stored keys are still the ring\'s');
});
