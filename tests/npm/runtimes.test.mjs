// The installed package in each runtime it promises: a Worker under a real `wrangler dev`
// (with a real KV binding), headless Chromium (playwright-core, Debian's chromium), and Deno.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { installPackage, root } from './install.mjs';
import { buildMatrix, expected } from './matrix.mjs';
import { toolEnv, startWorker } from '../e2e/harness.mjs';
import { pageResult } from './page.mjs';

const bin = join(root, 'node_modules', '.bin');
let dir;
let token;
let jwks;
let jti;
let matrix;

before(async () => {
  const fixture = (name) => readFileSync(join(root, 'tests', 'npm', 'fixtures', name), 'utf8');
  dir = installPackage({
    'worker.mjs': fixture('worker.mjs'), 'wrangler.toml': fixture('wrangler.toml'),
    'page.html': fixture('page.html'), 'deno.mjs': fixture('deno.mjs'), 'bun.mjs': fixture('bun.mjs'),
    'matrix-runner.mjs': fixture('matrix-runner.mjs'),
  });
  matrix = await buildMatrix();
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA');
  jwks = { keys: [{ ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] };
  jti = `jti-${Date.now()}`;
  token = await new jose.SignJWT({ sid: 's1', client_id: 'c' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setIssuer('https://issuer.test').setSubject('user-1').setJti(jti).setIssuedAt().setExpirationTime('5m')
    .sign(privateKey);
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ token, jwks, matrix }));
});

test('in a Worker under wrangler dev: verifies every algorithm, then refuses once the jti is in KV', async () => {
  const worker = await startWorker({ cwd: dir, persistDir: mkdtempSync(join(tmpdir(), 'edge-jwt-pkg-')) });
  try {
    const post = async (body) => {
      const res = await fetch(worker.base, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const ok = await post({ token, jwks });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.claims.sub, 'user-1');
    await post({ revoke: `revoked:jti:${jti}` });
    const revoked = await post({ token, jwks });
    assert.deepEqual(revoked.body, { code: 'ERR_JWT_REVOKED', jwtError: true });
    // Every algorithm, signed by jose, and its negative matrix, through verify and verifyAsync.
    const results = await post({ matrix });
    assert.equal(results.status, 200);
    assert.equal(results.body.nodeCrypto, false, 'workerd without nodejs_compat');
    assert.deepEqual(results.body, expected(matrix, false));
  } finally {
    await worker.stop();
  }
});

test('in headless Chromium: the ESM build verifies every algorithm with no bundler and no init call', async () => {
  const result = await pageResult(dir, 'page.html');
  assert.equal(result.claims.sub, 'user-1');
  assert.equal(result.tampered, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  assert.deepEqual(result.matrix, expected(matrix, false));
});

test('in Deno: the ESM build loads and verifies every algorithm', () => {
  const out = execFileSync(join(bin, 'deno'), ['run', '--quiet', '--no-prompt', '--allow-read=.', 'deno.mjs'],
    { cwd: dir, encoding: 'utf8', env: { ...toolEnv, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
  const answer = JSON.parse(out.trim());
  assert.deepEqual(answer, { sub: 'user-1', matrix: expected(matrix, answer.matrix.nodeCrypto) });
});

test('in Bun: the package resolves by its exports and verifies every algorithm; edge-jwt/session loads', () => {
  const out = execFileSync(join(bin, 'bun'), ['run', 'bun.mjs'], { cwd: dir, encoding: 'utf8', env: { ...toolEnv, NO_COLOR: '1' } });
  const answer = JSON.parse(out.trim());
  assert.deepEqual(answer, { sub: 'user-1', asyncSub: 'user-1', matrix: expected(matrix, answer.matrix.nodeCrypto), session: 'function', thumbprint: 43 });
});
