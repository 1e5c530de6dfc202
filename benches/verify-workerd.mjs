// Verify throughput inside workerd (`wrangler dev`), the runtime the package is first meant for:
// one Worker importing the installed package, jose and @tsndr/cloudflare-worker-jwt, each
// verifying the same tokens (signature, `exp`, `iss`, `aud`), beside WebCrypto's check alone on
// a pre-imported key. Each request verifies one token N times; requests run one after another
// and are timed from outside (workerd's clocks do not advance during a request's CPU work);
// medians of interleaved rounds. Writes target/bench/workerd.json for benches/report.mjs.
// Never a pass/fail test.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { startWorker, root } from '../tests/e2e/harness.mjs';
import { installPackage } from '../tests/npm/install.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1500);
const ALGORITHMS = ['HS256', 'EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'];
// Verifications per request: enough that a request's own cost is small beside them.
const PER_REQUEST = { HS256: 2000, EdDSA: 200, ES256: 200, ES384: 40, RS256: 400, PS256: 400 };

const now = Math.floor(Date.now() / 1000);
const cases = {};
for (const alg of ALGORITHMS) {
  let privateKey;
  let jwk;
  if (alg === 'HS256') {
    const secret = new Uint8Array(32).map((_, i) => i * 7 + 1);
    privateKey = secret;
    jwk = { kty: 'oct', k: jose.base64url.encode(secret), alg, kid: 'k' };
  } else {
    const pair = await jose.generateKeyPair(alg, { extractable: true });
    privateKey = pair.privateKey;
    jwk = { ...(await jose.exportJWK(pair.publicKey)), alg, kid: 'k' };
  }
  const token = await new jose.SignJWT({ sub: 'user-1', sid: 's', client_id: 'c', scope: 'read write' })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k' })
    .setIssuer('https://issuer.test').setAudience('https://api.test').setIssuedAt(now).setJti('j')
    .setExpirationTime(now + 3600).sign(privateKey);
  cases[alg] = { jwk, token, n: PER_REQUEST[alg] };
}

// The Worker: every library prepared once per isolate (keys imported, verifiers built).
const worker = `
import { Verifier } from 'edge-jwt';
import * as jose from 'jose';
import * as tsndr from '@tsndr/cloudflare-worker-jwt';

const CASES = ${JSON.stringify(cases)};
const OPTIONS = { issuer: 'https://issuer.test', audience: 'https://api.test' };
const WEBCRYPTO = {
  HS256: [{ name: 'HMAC', hash: 'SHA-256' }, { name: 'HMAC' }],
  EdDSA: [{ name: 'Ed25519' }, { name: 'Ed25519' }],
  ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  ES384: [{ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
  RS256: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' }],
  PS256: [{ name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
};
const TSNDR = ['HS256', 'ES256', 'ES384', 'RS256'];
const b64 = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

let prepared;
async function prepare() {
  const libs = {};
  for (const [alg, { jwk, token }] of Object.entries(CASES)) {
    const algorithms = [alg];
    const edge = new Verifier({ keys: [jwk] }, { ...OPTIONS, algorithms });
    const joseKey = await jose.importJWK(jwk, alg);
    const [importParams, verifyParams] = WEBCRYPTO[alg];
    const { alg: _a, kid: _k, ...material } = jwk;
    const hostKey = await crypto.subtle.importKey('jwk', material, importParams, false, ['verify']);
    const input = new TextEncoder().encode(token.slice(0, token.lastIndexOf('.')));
    const signature = b64(token.slice(token.lastIndexOf('.') + 1));
    libs[alg] = {
      // ES384: the package's wasm has no P-384, and workerd no node:crypto that does it.
      ...(alg === 'ES384' ? {} : { 'edge-jwt': () => edge.verify(token) }),
      'edge-jwt verifyAsync': () => edge.verifyAsync(token),
      jose: () => jose.jwtVerify(token, joseKey, { ...OPTIONS, algorithms }),
      ...(TSNDR.includes(alg) ? { '@tsndr/cloudflare-worker-jwt': () => tsndr.verify(token, hostKey, { algorithm: alg, throwError: true }) } : {}),
      "WebCrypto's check alone": () => crypto.subtle.verify(verifyParams, hostKey, signature, input),
    };
  }
  return libs;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/health') return new Response('ok');
    prepared ??= prepare();
    const libs = await prepared;
    if (url.pathname === '/cases') {
      return Response.json(Object.fromEntries(Object.entries(libs).map(([alg, l]) => [alg, Object.keys(l)])));
    }
    const fn = libs[url.searchParams.get('alg')]?.[url.searchParams.get('lib')];
    if (!fn) return new Response('no such case', { status: 404 });
    const n = Number(url.searchParams.get('n'));
    try {
      for (let i = 0; i < n; i++) await fn();
    } catch (error) {
      return new Response(String(error?.code ?? error?.message ?? error), { status: 500 });
    }
    return new Response('done');
  },
};
`;

const dir = installPackage({
  'worker.mjs': worker,
  'wrangler.toml': ['name = "edge-jwt-verify-bench"', 'main = "worker.mjs"', 'compatibility_date = "2026-11-01"', ''].join('\n'),
});
mkdirSync(join(dir, 'node_modules', '@tsndr'), { recursive: true });
symlinkSync(join(root, 'node_modules', 'jose'), join(dir, 'node_modules', 'jose'), 'dir');
symlinkSync(join(root, 'node_modules', '@tsndr', 'cloudflare-worker-jwt'), join(dir, 'node_modules', '@tsndr', 'cloudflare-worker-jwt'), 'dir');
const server = await startWorker({ cwd: dir, persistDir: mkdtempSync(join(tmpdir(), 'edge-jwt-bench-')), readyPath: '/health' });

try {
  const libsByAlg = await (await fetch(`${server.base}/cases`)).json();
  const verifiesPerSecond = async (alg, lib) => {
    const { n } = cases[alg];
    const url = `${server.base}/verify?alg=${alg}&lib=${encodeURIComponent(lib)}&n=${n}`;
    const start = performance.now();
    let done = 0;
    while (performance.now() - start < ROUND_MS) {
      const res = await fetch(url);
      const text = await res.text();
      if (!res.ok) throw new Error(`${alg} ${lib}: ${res.status} ${text}`);
      done += n;
    }
    return (done * 1000) / (performance.now() - start);
  };
  const samples = {};
  for (const [alg, libs] of Object.entries(libsByAlg)) for (const lib of libs) await verifiesPerSecond(alg, lib); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [alg, libs] of Object.entries(libsByAlg)) {
      for (const lib of libs) (samples[`${alg}\u0000${lib}`] ??= []).push(await verifiesPerSecond(alg, lib));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = {};
  for (const [key, xs] of Object.entries(samples)) {
    const [alg, lib] = key.split('\u0000');
    (rows[alg] ??= {})[lib] = median(xs);
  }
  mkdirSync(join(root, 'target', 'bench'), { recursive: true });
  writeFileSync(join(root, 'target', 'bench', 'workerd.json'), JSON.stringify({ rounds: ROUNDS, rows }, null, 2));
  console.log(`\nVerify inside workerd (wrangler dev), median of ${ROUNDS} interleaved rounds:\n`);
  console.log('| Algorithm | Library | Verifies/s |');
  console.log('|---|---|---:|');
  for (const [alg, libs] of Object.entries(rows)) {
    for (const [lib, ops] of Object.entries(libs)) console.log(`| ${alg} | ${lib} | ${Math.round(ops).toLocaleString('en')} |`);
  }
} finally {
  await server.stop();
}
