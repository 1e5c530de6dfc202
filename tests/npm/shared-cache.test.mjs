// The key set a RemoteJwks fetched is shared by a Worker's isolates through the Cache API: a
// new isolate (a restarted `wrangler dev` on the same local state) verifies without fetching.
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
