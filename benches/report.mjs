// Prints the one benchmark table the README carries, from what `make bench` just measured:
// criterion's estimates (target/criterion), target/bench/js.json (benches/verify-js.mjs) and
// target/bench/worker.json (benches/worker.mjs). Every figure is a median; every ratio is
// edge-jwt's throughput over its baseline's, measured in the same run (above 1: edge-jwt faster).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));
const fmt = (n) => Math.round(n).toLocaleString('en');
const rows = [];
const row = (where, op, edge, base, baseName, unit = '/s') =>
  rows.push(`| ${where} | ${op} | ${fmt(edge)}${unit} | ${fmt(base)}${unit} | ${baseName} | ${(edge / base).toFixed(2)}× |`);

// Criterion: median time per iteration (ns) → operations per second.
const criterion = {};
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    if (name === 'new' && existsSync(join(path, 'benchmark.json'))) {
      const { group_id, function_id } = read(join(path, 'benchmark.json'));
      criterion[`${group_id}/${function_id}`] = 1e9 / read(join(path, 'estimates.json')).median.point_estimate;
    } else walk(path);
  }
};
if (existsSync(join(root, 'target', 'criterion'))) walk(join(root, 'target', 'criterion'));
for (const alg of ['EdDSA', 'ES256', 'HS256']) {
  for (const op of ['sign', 'verify']) {
    const edge = criterion[`${alg}/${op}/edge-jwt`];
    if (edge) row('core, native', `${op} ${alg}`, edge, criterion[`${alg}/${op}/jwt-simple`], 'jwt-simple alone');
  }
}
if (criterion['rotation/edge-jwt']) {
  row('core, native', 'refresh rotation (EdDSA, in-memory store)', criterion['rotation/edge-jwt'],
    criterion['rotation/crypto-floor'], "jwt-simple's crypto for one (1 verify + 2 signs)");
}
if (criterion['rotation/edge-jwt with a DPoP proof']) {
  row('core, native', 'refresh rotation with a DPoP proof (EdDSA key, bound session)', criterion['rotation/edge-jwt with a DPoP proof'],
    criterion['rotation/edge-jwt'], 'the same rotation without DPoP');
}
if (criterion['jwks-parse/edge-jwt']) {
  row('core, native', 'JWKS parse (3 keys)', criterion['jwks-parse/edge-jwt'], criterion['jwks-parse/serde_json'], 'serde_json::Value');
}

const jsPath = join(root, 'target', 'bench', 'js.json');
const js = existsSync(jsPath) ? read(jsPath) : null;
if (js) {
  for (const [alg, libs] of Object.entries(js.rows)) {
    if (alg.includes('in flight')) {
      // Concurrency changes nothing for the sync path: only the async one is shown.
      if (libs['edge-jwt verifyAsync']) row(`npm (wasm), Node ${js.node}`, `verifyAsync ${alg}`, libs['edge-jwt verifyAsync'], libs.jose, 'jose');
      continue;
    }
    if (alg.startsWith('DPoP')) {
      const edge = libs['edge-jwt'] ?? libs['edge-jwt verifyRequest'];
      const op = alg.includes('(sign)') ? 'DpopKey.proof (ES256)' : 'verifyRequest: EdDSA token + ES256 DPoP proof';
      row(`npm (wasm), Node ${js.node}`, op, edge, libs.jose, alg.includes('(sign)') ? 'jose SignJWT' : 'jose: jwtVerify × 2 + thumbprint + ath');
      continue;
    }
    const op = alg === 'JWKS parse' ? 'JWKS parse (3 keys) → Verifier' : `verify ${alg}`;
    const where = `npm (wasm), Node ${js.node}`;
    if (alg === 'JWKS parse') {
      row(where, op, libs['edge-jwt'], libs.jose, 'jose');
      continue;
    }
    // Issue 33's comparisons: the fastest verifier a Node user would pick, and node:crypto's
    // check alone (the physical limit), beside jose.
    const peers = ['jose', 'fast-jwt', 'jsonwebtoken'].filter((lib) => libs[lib]);
    const fastest = peers.reduce((best, lib) => (libs[lib] > libs[best] ? lib : best));
    const best = Math.max(libs['edge-jwt'] ?? 0, libs['edge-jwt verifyAsync'] ?? 0);
    row(where, `${op}, best of verify / verifyAsync (target ≥ 1.0×)`, best, libs[fastest], `${fastest}, the fastest peer`);
    const floor = alg === 'HS256' ? 0.5 : 0.8;
    row(where, `${op}, best of verify / verifyAsync (target ≥ ${floor}×)`, best, libs['node:crypto, the signature alone'], "node:crypto's signature check alone");
    if (libs['edge-jwt']) row(where, op, libs['edge-jwt'], libs.jose, 'jose');
    if (libs['edge-jwt verifyAsync']) row(where, `verifyAsync ${alg}`, libs['edge-jwt verifyAsync'], libs.jose, 'jose');
    for (const peer of ['fast-jwt', 'jsonwebtoken']) if (libs[peer]) row(where, `${alg}: ${peer}`, libs[peer], libs.jose, 'jose');
    if (libs['node:crypto, the signature alone']) row(where, `${alg}: the physical reference, node:crypto's signature check alone`, libs['node:crypto, the signature alone'], libs.jose, 'jose');
    if (libs['edge-jwt cache hit'] && libs['fast-jwt cache hit']) {
      row(where, `verify ${alg}, a cache hit (target ≥ 2×)`, libs['edge-jwt cache hit'], libs['fast-jwt cache hit'], "fast-jwt's cache hit");
    }
  }
}

// Inside workerd: the package's best of verify / verifyAsync against the faster of jose and
// @tsndr/cloudflare-worker-jwt (target ≥ 1.2×) and WebCrypto's check alone (target ≥ 0.8×).
const workerdPath = join(root, 'target', 'bench', 'workerd.json');
const workerd = existsSync(workerdPath) ? read(workerdPath) : null;
if (workerd) {
  for (const [alg, libs] of Object.entries(workerd.rows)) {
    const where = 'npm (wasm), workerd';
    const best = Math.max(libs['edge-jwt'] ?? 0, libs['edge-jwt verifyAsync'] ?? 0);
    const peers = ['jose', '@tsndr/cloudflare-worker-jwt'].filter((lib) => libs[lib]);
    const fastest = peers.reduce((a, b) => (libs[b] > libs[a] ? b : a));
    row(where, `verify ${alg}, best of verify / verifyAsync (target ≥ 1.2×)`, best, libs[fastest], `${fastest}, the faster peer`);
    row(where, `verify ${alg}, best of verify / verifyAsync (target ≥ 0.8×)`, best, libs["WebCrypto's check alone"], "WebCrypto's check alone");
    if (libs['edge-jwt']) row(where, `verify ${alg} (wasm)`, libs['edge-jwt'], libs.jose, 'jose');
    if (libs['edge-jwt verifyAsync']) row(where, `verifyAsync ${alg}`, libs['edge-jwt verifyAsync'], libs.jose, 'jose');
  }
}

const workerPath = join(root, 'target', 'bench', 'worker.json');
const worker = existsSync(workerPath) ? read(workerPath) : null;
if (worker) {
  for (const [op, { 'edge-jwt': e, baseline: b }] of Object.entries(worker.rows)) {
    row('Worker, wrangler dev', `${op} req/s (p50 / p99 ms: ${e.p50} / ${e.p99} vs ${b.p50} / ${b.p99})`, e.rps, b.rps, 'jose Worker');
  }
  if (worker.floor) {
    const { 'workers-rs': r, js: j } = worker.floor;
    row('Worker, wrangler dev', `framework floor: static JSON, workers-rs vs JS req/s (p50 / p99 ms: ${r.p50} / ${r.p99} vs ${j.p50} / ${j.p99})`, r.rps, j.rps, 'the same in JS');
  }
}

const flowPath = join(root, 'target', 'bench', 'flow.json');
const flow = existsSync(flowPath) ? read(flowPath) : null;
if (flow) {
  row('Worker, wrangler dev', `authorization code flow, whole (authorize → accept → token; ${flow.concurrency} at a time) flows/s`,
    flow['edge-jwt'], flow.baseline, 'workers-oauth-provider 1.2');
}

console.log(`\nmake bench: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${new Date().toISOString().slice(0, 10)}` +
  (worker ? `; Worker rows: ${worker.connections} connections, ${worker.seconds} s runs, median of ${worker.rounds}` : '') + '\n');
console.log('| Where | Operation | edge-jwt | Baseline | Baseline is | Ratio |');
console.log('|---|---|---:|---:|---|---:|');
for (const line of rows) console.log(line);
if (js || worker) {
  console.log('\n| Bundle (gzip -9) | edge-jwt | Baseline | Baseline is |');
  console.log('|---|---:|---:|---|');
  if (js) {
    console.log(`| npm package, verify only (JS + .wasm; target ≤ 100 KB) | ${fmt(js.sizes['edge-jwt (JS + .wasm)'])} B | ` +
      `${fmt(js.sizes['jose (jwtVerify + importJWK)'])} B | jose (jwtVerify + importJWK) |`);
    if (js.sizes['edge-jwt/session (Session + DpopKey)']) {
      console.log(`| \`edge-jwt/session\`: Session + DpopKey, no wasm, a Vite production build (target ≤ 10 KB) | ${fmt(js.sizes['edge-jwt/session (Session + DpopKey)'])} B | ` +
        `${fmt(js.sizes['jose (jwtVerify + importJWK)'])} B | jose (jwtVerify + importJWK) |`);
    }
  }
  if (worker) {
    const { 'edge-jwt': e, baseline: b } = worker.bundle;
    console.log(`| Worker upload (raw / gzip; limit 3 MiB free) | ${fmt(e.raw)} / ${fmt(e.gzip)} B | ${fmt(b.raw)} / ${fmt(b.gzip)} B | jose Worker |`);
  }
}
