// The README's examples (examples/*, which the README carries verbatim: scripts/readme-examples.mjs)
// run as a user runs them: copied into a project where the packed package is installed, against
// a real issuer under `wrangler dev`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startIssuer, startWorker, startSession, form, freePort, root } from './harness.mjs';
import { installPackage } from '../npm/install.mjs';

const run = promisify(execFile);
const node = process.execPath;
let issuer;
let dir;

before(async () => {
  issuer = await startIssuer({ vars: { EDGE_JWT_DEMO_LOGIN: 'true' } });
  const examples = Object.fromEntries(readdirSync(join(root, 'examples')).map((f) => [f, readFileSync(join(root, 'examples', f), 'utf8')]));
  dir = installPackage({
    ...examples,
    'wrangler.toml': [
      'name = "edge-jwt-example"', 'main = "worker.mjs"', 'compatibility_date = "2026-11-01"',
      // The issuer's KV namespace (same id, same persist folder): its revocation list.
      '[[kv_namespaces]]', 'binding = "EDGE_JWT_KV"', 'id = "00000000000000000000000000000000"',
      '[vars]', `ISSUER = "${issuer.base}"`, `AUDIENCE = "${issuer.base}/api"`, '',
    ].join('\n'),
  });
  // The user's own dependencies: the workspace's pinned copies.
  mkdirSync(join(dir, 'node_modules', '@hono'), { recursive: true });
  symlinkSync(join(root, 'node_modules', 'hono'), join(dir, 'node_modules', 'hono'), 'dir');
  symlinkSync(join(root, 'node_modules', '@hono', 'node-server'), join(dir, 'node_modules', '@hono', 'node-server'), 'dir');
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

const env = (extra = {}) => ({ ...process.env, ISSUER: issuer.base, PATH: `${join(node, '..')}:${process.env.PATH}`, ...extra });
const example = (file, args, extra) => run(node, [file, ...args], { cwd: dir, env: env(extra) });

test('the quick start, as the README runs it: a demo login, then quick-start.mjs', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /Against `make dev`, with a token[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)[1];
  assert.match(block, /node quick-start\.mjs/);
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block.replaceAll('http://127.0.0.1:8787', issuer.base)],
    { cwd: dir, env: env() });
  assert.match(stdout, /^demo:alice \{/);
});

test('verifier.mjs: every way to build a verifier, every option at its default, against the issuer\'s keys', async () => {
  const pair = await startSession(issuer, { sub: 'example-user' });
  const { stdout } = await example('verifier.mjs', [pair.access_token]);
  assert.match(stdout, /^example-user false \d+/);
  // A token it must refuse makes it fail, so the run above proves the verification.
  const tampered = `${pair.access_token.slice(0, -4)}AAAA`;
  await assert.rejects(example('verifier.mjs', [tampered]), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
});

test('introspect.mjs: active, then not once revoked', async () => {
  const pair = await startSession(issuer, { sub: 'introspected' });
  const credentials = { CLIENT_ID: issuer.secrets.clientId, CLIENT_SECRET: issuer.secrets.clientSecret };
  assert.equal((await example('introspect.mjs', [pair.access_token], credentials)).stdout, 'active, for introspected\n');
  assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: pair.access_token }))).status, 200);
  assert.equal((await example('introspect.mjs', [pair.access_token], credentials)).stdout, 'not active (expired, revoked or unknown)\n');
});

test('hono-node.mjs: the middleware in Node, in front of the issuer', async () => {
  const port = await freePort();
  const child = spawn(node, ['hono-node.mjs'], { cwd: dir, env: env({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => { out += d; if (out.includes('listening')) resolve(); });
      child.stderr.on('data', (d) => { out += d; });
      child.on('exit', (code) => reject(new Error(`hono-node.mjs exited ${code}: ${out}`)));
    });
    const pair = await startSession(issuer, { sub: 'hono-node-user' });
    const me = (authorization) => fetch(`http://127.0.0.1:${port}/api/me`, { headers: authorization ? { Authorization: authorization } : {} });
    const ok = await me(`Bearer ${pair.access_token}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { sub: 'hono-node-user' });
    assert.equal((await me()).status, 401);
  } finally {
    child.kill();
  }
});

test('worker.mjs: a Worker on the issuer\'s KV, its verifier at module scope', async () => {
  const worker = await startWorker({ cwd: dir, persistDir: issuer.persistDir });
  try {
    const pair = await startSession(issuer, { sub: 'worker-user' });
    const call = () => fetch(worker.base, { headers: { Authorization: `Bearer ${pair.access_token}` } });
    let res = await call();
    assert.deepEqual([res.status, await res.json()], [200, { hello: 'worker-user' }]);
    assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: pair.access_token }))).status, 200);
    res = await call();
    assert.deepEqual([res.status, await res.json()], [401, { error: 'ERR_JWT_REVOKED' }]);
  } finally {
    await worker.stop();
  }
});
