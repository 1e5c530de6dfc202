// Where the package's verify spends its time inside workerd (`wrangler dev`), for one algorithm
// (PROFILE_ALG, default HS256; PROFILE_PATH=async profiles verifyAsync, which hands the
// signature to WebCrypto): a CPU profile of the isolate, through wrangler's inspector, while
// requests each verify one token many times. Prints self time by kind (the wasm, the JS that
// wrangler bundles into one script, the runtime) and the top functions. With
// PROFILE_WASM=<a .wasm built with names> (wasm-bindgen --keep-debug), the core's functions are
// named. Run with `make profile-verify PROFILE_RUNTIME=workerd`. Never a pass/fail test.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../tests/e2e/harness.mjs';
import { inspectorSession, isWasm, printSelfTimes } from './cpu-profile.mjs';
import { sampleToken } from './sample-token.mjs';
import { installPackage } from '../tests/npm/install.mjs';

const ALG = process.env.PROFILE_ALG ?? 'HS256';
const ASYNC = process.env.PROFILE_PATH === 'async';
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 5);
const PER_REQUEST = 200;

const { token, jwk } = await sampleToken(ALG);

const worker = `
import { Verifier } from 'edge-jwt';
const verifier = new Verifier({ keys: [${JSON.stringify(jwk)}] }, { issuer: 'https://issuer.test', audience: 'https://api.test', algorithms: ['${ALG}'] });
const token = '${token}';
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/health') return new Response('ok');
    for (let i = 0; i < ${PER_REQUEST}; i++) ${ASYNC ? 'await verifier.verifyAsync(token)' : 'verifier.verify(token)'};
    return new Response('done');
  },
};
`;
const dir = installPackage({
  'worker.mjs': worker,
  'wrangler.toml': ['name = "edge-jwt-verify-profile"', 'main = "worker.mjs"', 'compatibility_date = "2026-11-01"', ''].join('\n'),
});
if (process.env.PROFILE_WASM) copyFileSync(process.env.PROFILE_WASM, join(dir, 'node_modules', 'edge-jwt', 'edge_jwt_bg.wasm'));
const server = await startWorker({ cwd: dir, persistDir: mkdtempSync(join(tmpdir(), 'edge-jwt-profile-')), readyPath: '/health' });

try {
  const { send, close } = await inspectorSession(server.inspectorPort);
  const drive = async (ms) => {
    let verified = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      const res = await fetch(`${server.base}/verify`);
      if ((await res.text()) !== 'done') throw new Error(`the Worker answered ${res.status}`);
      verified += PER_REQUEST;
    }
    return (verified * 1000) / (performance.now() - start);
  };
  await drive(1500); // warm-up: the wasm tiers up
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 50 });
  await send('Profiler.start');
  const rate = await drive(SECONDS * 1000);
  const { result: { profile } } = await send('Profiler.stop');
  close();

  console.log(`\n${ALG} ${ASYNC ? 'verifyAsync' : 'verify'} inside workerd: ${Math.round(rate).toLocaleString('en')}/s over ${SECONDS} s\n`);
  // wrangler bundles the Worker, the package's JS and its glue into one script.
  printSelfTimes(profile, (callFrame, name) => (isWasm(callFrame, name) ? 'wasm (the core)'
    : callFrame.url ? 'JS: the package, its glue, the Worker' : 'runtime (GC, WebCrypto, JSON.parse)'), 20);
} finally {
  await server.stop();
}
