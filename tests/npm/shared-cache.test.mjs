// The key set a RemoteJwks fetched is shared by a Worker's isolates through the Cache API: a
// new isolate (a restarted `wrangler dev` on the same local state) verifies without fetching.
// The entry's name is private to the deployment: a set planted by other code on the zone under
// the JWKS URL, or an entry that claims to outlive cacheMaxAge, is never trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { installPackage, root } from './install.mjs';
import { startWorker } from '../e2e/harness.mjs';

test('two isolates of a Worker make one JWKS fetch: the key set is shared through the Cache API', async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA');
  const jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] };
  const token = await new jose.SignJWT({}).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setIssuer('https://issuer.test').setSubject('user-1').setIssuedAt().setExpirationTime('5m').sign(privateKey);
  let fetches = 0;
  const server = createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${server.address().port}/jwks.json`;
  const fixture = (name) => readFileSync(join(root, 'tests', 'npm', 'fixtures', 'shared-cache', name), 'utf8');
  const dir = installPackage({ 'worker.mjs': fixture('worker.mjs'), 'wrangler.toml': fixture('wrangler.toml') });
  const persistDir = mkdtempSync(join(tmpdir(), 'edge-jwt-cache-'));
  const verify = async (worker) => {
    const res = await fetch(worker.base, { method: 'POST', body: JSON.stringify({ token, jwksUrl }) });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.claims.sub;
  };
  try {
    const first = await startWorker({ cwd: dir, persistDir });
    try {
      assert.equal(await verify(first), 'user-1');
      assert.equal(await verify(first), 'user-1');
    } finally {
      await first.stop();
    }
    assert.equal(fetches, 1, 'one fetch in the first isolate');
    const second = await startWorker({ cwd: dir, persistDir });
    try {
      assert.equal(await verify(second), 'user-1');
    } finally {
      await second.stop();
    }
    assert.equal(fetches, 1, 'the new isolate found the key set in the Cache API');
  } finally {
    server.close();
  }
});

const SECRET = 'shared-cache-test-secret-0123456789';

/** The entry's private name, as the package derives it (SHA-256 of the secret and the URL). */
async function privateName(url) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`edge-jwt jwks cache\n${SECRET}\n${url}`));
  return `https://jwks-cache.edge-jwt.invalid/${Buffer.from(digest).toString('hex')}`;
}

test('a key set planted in the Cache API by other code on the zone is not trusted', async () => {
  const real = await jose.generateKeyPair('EdDSA');
  const forger = await jose.generateKeyPair('EdDSA');
  const jwksOf = async (key) => ({ keys: [{ ...(await jose.exportJWK(key)), kid: 'k1', alg: 'EdDSA' }] });
  const sign = (key) => new jose.SignJWT({}).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setIssuer('https://issuer.test').setSubject('mallory').setIssuedAt().setExpirationTime('5m').sign(key);
  let fetches = 0;
  const realJwks = await jwksOf(real.publicKey);
  const server = createServer((req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    res.end(JSON.stringify(realJwks));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${server.address().port}/jwks.json`;
  const fixture = (name) => readFileSync(join(root, 'tests', 'npm', 'fixtures', 'shared-cache', name), 'utf8');
  const dir = installPackage({ 'worker.mjs': fixture('worker.mjs'), 'wrangler.toml': fixture('wrangler.toml') });
  const worker = await startWorker({ cwd: dir, persistDir: mkdtempSync(join(tmpdir(), 'edge-jwt-cache-')) });
  const post = (body) => fetch(worker.base, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => [r.status, await r.json()]);
  try {
    const forged = JSON.stringify(await jwksOf(forger.publicKey));
    // Under the bare URL, with the headers the package once used: fresh for a year.
    const headers = { 'content-type': 'application/json', 'cache-control': 'max-age=31536000',
      'x-edge-jwt-fetched-at': String(Date.now()), 'x-edge-jwt-ttl': String(365 * 86400_000) };
    await post({ plant: { key: jwksUrl, text: forged, headers } });
    // Under the private name too, with an age past cacheMaxAge (600 s) that claims a year's ttl.
    const stale = { ...headers, 'x-edge-jwt-fetched-at': String(Date.now() - 700_000) };
    await post({ plant: { key: await privateName(jwksUrl), text: forged, headers: stale } });
    const [status, body] = await post({ token: await sign(forger.privateKey), jwksUrl });
    assert.equal(status, 401, JSON.stringify(body));
    assert.equal(body.code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    assert.equal(fetches, 1, 'the real key set was fetched');
    const [ok, claims] = await post({ token: await sign(real.privateKey), jwksUrl });
    assert.equal(ok, 200, JSON.stringify(claims));
  } finally {
    await worker.stop();
    server.close();
  }
});
