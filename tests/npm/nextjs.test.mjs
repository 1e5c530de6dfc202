// Next.js 16 middleware (the edge runtime) verifying a cookie's token with the installed
// package, built both ways (`next build`, which is Turbopack, and `next build --webpack`) and
// served by `next start`. The package's `edge-light` entry imports its wasm as a module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { root, tarball } from './install.mjs';
import { freePort } from '../e2e/harness.mjs';

const run = promisify(execFile);
const next = join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', CI: 'true' };
let app;
let token;

before(async () => {
  mkdirSync(join(root, 'target'), { recursive: true });
  app = mkdtempSync(join(root, 'target', 'next-'));
  cpSync(join(root, 'tests', 'npm', 'fixtures', 'next'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'next-app', private: true }));
  await run('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', tarball()], { cwd: app });
  const pair = await jose.generateKeyPair('ES256', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: 'k', alg: 'ES256' }] };
  writeFileSync(join(app, 'keys.js'), `export const jwks = ${JSON.stringify(jwks)};\n`);
  token = await new jose.SignJWT({ sub: 'next-user' }).setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'at+jwt' })
    .setIssuer('https://issuer.test').setIssuedAt().setExpirationTime('1h').sign(pair.privateKey);
});

after(() => rmSync(app, { recursive: true, force: true }));

for (const [name, flags] of [['next build (Turbopack)', []], ['next build --webpack', ['--webpack']]]) {
  test(`${name}, then next start: the middleware verifies the cookie's token`, async () => {
    rmSync(join(app, '.next'), { recursive: true, force: true });
    await run(process.execPath, [next, 'build', ...flags], { cwd: app, env })
      .catch((e) => assert.fail(`next build failed:\n${e.stdout}${e.stderr}`));
    const port = await freePort();
    const server = spawn(process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stdout.on('data', (d) => { log += d; });
    server.stderr.on('data', (d) => { log += d; });
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try { await fetch(`http://127.0.0.1:${port}/`); break; } catch {}
        if (Date.now() > deadline) assert.fail(`next start never answered:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const good = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { cookie: `token=${token}` } });
      assert.deepEqual([good.status, await good.json()], [200, { sub: 'next-user' }], log);
      const bad = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { cookie: `token=${token.slice(0, -4)}AAAA` } });
      assert.deepEqual([bad.status, await bad.json()], [401, { error: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }]);
    } finally {
      server.kill();
    }
  });
}
