// `edge-jwt/session`: the browser session without wasm. Its module graph has no wasm and no
// verifier; it keeps a session and makes proofs exactly as the root entry's classes do.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installPackage, importFrom } from './install.mjs';

let dir;
let session;
let root;

before(async () => {
  dir = installPackage();
  writeFileSync(join(dir, 'session-shim.mjs'), "export * from 'edge-jwt/session';\n");
  session = await import(pathToFileURL(join(dir, 'session-shim.mjs')).href);
  root = await importFrom(dir);
});

test('edge-jwt/session loads no wasm and no verifier (its whole module graph, as a bundler sees it)', async () => {
  const result = await build({ stdin: { contents: "export { Session, DpopKey } from 'edge-jwt/session';", resolveDir: dir },
    bundle: true, write: false, format: 'esm', platform: 'browser', metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs).map((p) => p.split('/').pop());
  assert.ok(inputs.includes('session.mjs') && inputs.includes('dpop-key.mjs'), inputs.join(', '));
  for (const heavy of ['edge_jwt.js', 'edge_jwt_bg.wasm', 'verifier.mjs', 'unverified.mjs', 'input.mjs', 'jobs.mjs']) {
    assert.ok(!inputs.includes(heavy), `${heavy} is in edge-jwt/session's module graph`);
  }
});

test('edge-jwt/session keeps a session: refresh when the access token expires, clear errors for a token it cannot read', async () => {
  const now = Math.floor(Date.now() / 1000);
  const jwt = (exp) => new jose.UnsecuredJWT({ sub: 'u' }).setExpirationTime(exp).encode();
  let refreshes = 0;
  const fetch = async () => {
    refreshes += 1;
    return Response.json({ access_token: jwt(now + 300), refresh_token: `r${refreshes}` });
  };
  const s = new session.Session({ issuer: 'https://auth.test', tokens: { access_token: jwt(now + 10), refresh_token: 'r0' }, fetch });
  assert.equal(await s.accessToken(), s.tokens.access_token);
  assert.equal(refreshes, 1, 'an access token within the skew (30 s) of its exp is refreshed first');
  await s.accessToken();
  assert.equal(refreshes, 1);
  const garbage = new session.Session({ issuer: 'https://auth.test', tokens: { access_token: 'garbage', refresh_token: 'r' }, fetch });
  await assert.rejects(garbage.accessToken(), (e) => e instanceof session.JwtError && e.code === 'ERR_JWS_INVALID');
  const noExp = new session.Session({ issuer: 'https://auth.test', fetch,
    tokens: { access_token: new jose.UnsecuredJWT({ sub: 'u' }).encode(), refresh_token: 'r' } });
  await assert.rejects(noExp.accessToken(), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'exp' });
});

test('the root entry exports the same classes (compatibility)', () => {
  assert.equal(root.Session, session.Session);
  assert.equal(root.DpopKey, session.DpopKey);
  assert.equal(root.JwtError, session.JwtError);
});
