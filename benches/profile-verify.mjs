// Where the package's `verify` spends its time, for one algorithm (PROFILE_ALG, default HS256):
// a CPU profile (node:inspector, as `node --cpu-prof` takes it) of a tight loop of verifications
// of one token, beside the bare HMAC (node:crypto) and jose on the same token. Prints self time
// by kind (the wasm, the package's JS, the runtime) and the top functions. Run with
// `make profile-verify`. Never a pass/fail test.
import { Session } from 'node:inspector/promises';
import { createHmac } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import { isWasm, printSelfTimes } from './cpu-profile.mjs';
import { SECRET, sampleToken } from './sample-token.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const edge = await import(join(root, 'dist', 'npm', 'node.mjs'));
const ALG = process.env.PROFILE_ALG ?? 'HS256';
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 3);

const { token, jwk } = await sampleToken(ALG);
const verifier = new edge.Verifier({ keys: [jwk] }, { issuer: 'https://issuer.test', audience: 'https://api.test', algorithms: [ALG] });
const joseKey = await jose.importJWK(jwk, ALG);

function rate(fn, ms = 1000) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return (n * 1000) / ms;
}
async function rateAsync(fn, ms = 1000) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) await fn();
    n += 20;
  }
  return (n * 1000) / ms;
}

const [input] = [token.slice(0, token.lastIndexOf('.'))];
const rows = [
  ...(ALG === 'ES384' ? [] : [['edge-jwt verify', rate(() => verifier.verify(token))]]),
  ...(ALG === 'HS256' ? [] : [['edge-jwt verifyAsync', await rateAsync(() => verifier.verifyAsync(token))]]),
  ['jose jwtVerify', await rateAsync(() => jose.jwtVerify(token, joseKey, { issuer: 'https://issuer.test', audience: 'https://api.test' }))],
];
if (ALG === 'HS256') rows.push(['node:crypto HMAC-SHA256 of the signing input alone', rate(() => createHmac('sha256', SECRET).update(input).digest())]);
for (const [what, ops] of rows) console.log(`${what}: ${Math.round(ops).toLocaleString('en')}/s (${(1e6 / ops).toFixed(2)} µs)`);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
// PROFILE_PATH=async profiles verifyAsync (the host's WebCrypto for the signature) instead.
if (process.env.PROFILE_PATH === 'async') await rateAsync(() => verifier.verifyAsync(token), SECONDS * 1000);
else rate(() => verifier.verify(token), SECONDS * 1000);
const { profile } = await session.post('Profiler.stop');
session.disconnect();

console.log(`\n${ALG} ${process.env.PROFILE_PATH === 'async' ? 'verifyAsync' : 'verify'}, ${SECONDS} s profiled\n`);
printSelfTimes(profile, (callFrame, name) => (isWasm(callFrame, name) ? 'wasm (the core)'
  : callFrame.url.includes('edge_jwt.js') ? 'wasm-bindgen glue (bytes in, strings out)'
    : callFrame.url.includes('/dist/npm/') ? "the package's JS"
      : name === '(program)' || name === '(garbage collector)' || !callFrame.url ? 'runtime (GC, natives, JSON.parse)' : 'other JS'));
