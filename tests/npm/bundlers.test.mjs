// The package through the bundlers people use, in production mode, each page run in Chromium:
// Vite and webpack 5, for a page that keeps a session (edge-jwt/session: no wasm emitted) and
// a page that verifies (the root entry: the .wasm emitted as an asset and fetched by URL).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { installPackage, root } from './install.mjs';
import { pageResult } from './page.mjs';

let dir;
before(async () => {
  dir = installPackage();
  cpSync(join(root, 'tests', 'npm', 'fixtures', 'bundlers'), dir, { recursive: true });
  // The user's own tools: the workspace's pinned copies.
  for (const name of ['vite', 'webpack']) symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  const pair = await jose.generateKeyPair('ES256', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: 'k', alg: 'ES256' }] };
  const token = await new jose.SignJWT({ sub: 'bundled' }).setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'at+jwt' })
    .setIssuer('https://issuer.test').setIssuedAt().setExpirationTime('1h').sign(pair.privateKey);
  writeFileSync(join(dir, 'token.js'), `export const jwks = ${JSON.stringify(jwks)};\nexport const token = ${JSON.stringify(token)};\n`);
  for (const page of ['session', 'verifier']) {
    writeFileSync(join(dir, `${page}.html`), `<!doctype html><title>${page}</title><script type="module" src="./${page}-page.js"></script>\n`);
  }
});

const files = (folder) => readdirSync(folder, { recursive: true }).filter((f) => statSync(join(folder, f)).isFile());

async function viteBuild(page) {
  const { build } = await import(join(dir, 'node_modules', 'vite', 'dist', 'node', 'index.js'));
  const outDir = join(dir, 'dist-vite', page);
  await build({ root: dir, logLevel: 'silent', configFile: false, build: { outDir, target: 'es2022', rollupOptions: { input: join(dir, `${page}.html`) } } });
  return { folder: outDir, html: `${page}.html` };
}

async function webpackBuild(page) {
  const { default: webpack } = await import(join(dir, 'node_modules', 'webpack', 'lib', 'index.js'));
  const outDir = join(dir, 'dist-webpack', page);
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production', context: dir, entry: `./${page}-page.js`, target: 'web',
    output: { path: outDir, filename: 'main.js', publicPath: 'auto' },
    experiments: { topLevelAwait: true }, devtool: false,
  }, (error, result) => (error ? reject(error) : resolve(result))));
  assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${page}.html`), `<!doctype html><title>${page}</title><script type="module" src="./main.js"></script>\n`);
  return { folder: outDir, html: `${page}.html` };
}

const run = ({ folder, html }) => pageResult(folder, html);

for (const [name, bundle] of [['Vite', viteBuild], ['webpack 5', webpackBuild]]) {
  test(`${name}, production build: a session page (edge-jwt/session) emits no wasm and makes a DPoP proof in Chromium`, async () => {
    const built = await bundle('session');
    assert.deepEqual(files(built.folder).filter((f) => f.endsWith('.wasm')), [], 'no wasm for a session page');
    const result = await run(built);
    assert.match(result.thumbprint, /^[A-Za-z0-9_-]{43}$/);
    const { payload, protectedHeader } = await jose.jwtVerify(result.proof, jose.EmbeddedJWK, { typ: 'dpop+jwt' });
    assert.equal(await jose.calculateJwkThumbprint(protectedHeader.jwk), result.thumbprint);
    assert.equal(payload.htm, 'GET');
    assert.equal(result.active, false);
  });

  test(`${name}, production build: a verifier page (the root entry, wasm as an asset) verifies in Chromium`, async () => {
    const built = await bundle('verifier');
    assert.equal(files(built.folder).filter((f) => f.endsWith('.wasm')).length, 1, 'the .wasm emitted once');
    assert.deepEqual(await run(built), { sub: 'bundled', syncSub: 'bundled', tampered: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
}
