// The issuer Worker under load, side by side with the baseline (benches/baseline: TypeScript +
// jose, same KV layout, a Durable Object per session), both under the same `wrangler dev`
// settings on loopback, driven by autocannon with bounded duration and connections. Rows:
// POST /token (refresh of distinct sessions), POST /introspect, GET /.well-known/jwks.json; each
// a median of interleaved runs. No Worker measured has an [assets] section (under wrangler
// dev the asset router would sit in front of each request). Then the framework floor: a
// static JSON from idiomatic workers-rs and from plain JS (benches/floor). Also the uploaded
// bundle (`wrangler deploy --dry-run --outdir`).
// Writes target/bench/worker.json for benches/report.mjs. Never a pass/fail test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { startIssuer, startSession, devVars, form, root, toolEnv } from '../tests/e2e/harness.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SESSIONS = CONNECTIONS * 8;
const baselineConfig = join(root, 'benches', 'baseline', 'wrangler.toml');
// The framework floor: a static JSON answered by idiomatic workers-rs and by plain JavaScript.
const floorConfigs = { 'workers-rs': join(root, 'benches', 'floor', 'rust', 'wrangler.toml'), js: join(root, 'benches', 'floor', 'js', 'wrangler.toml') };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const session = (server, sub) => startSession(server, { sub, claims: { role: 'bench' }, scope: 'read' });

/** Each request refreshes a session no other connection holds, and puts its successor back. */
async function tokenScenario(server) {
  const pool = [];
  for (let i = 0; i < SESSIONS; i++) pool.push((await session(server, `bench-${i}`)).refresh_token);
  return {
    method: 'POST', path: '/token', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    setupRequest: (req, context) => {
      context.token = pool.shift();
      return { ...req, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: context.token }).toString() };
    },
    onResponse: (status, body, context) => {
      pool.push(status === 200 ? JSON.parse(body).refresh_token : context.token);
    },
  };
}

async function introspectScenario(server) {
  const { access_token } = await session(server, 'bench-introspect');
  const { body, headers } = form({ token: access_token });
  return { method: 'POST', path: '/introspect', headers: { ...headers, Authorization: server.basic }, body };
}

const jwksScenario = async () => ({ method: 'GET', path: '/.well-known/jwks.json' });

function run(server, request) {
  return new Promise((resolve, reject) => {
    autocannon({ url: server.base, connections: CONNECTIONS, duration: DURATION, requests: [request] }, (err, result) => {
      if (err) return reject(err);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0) return reject(new Error(`${server.name}: ${bad} failed requests of ${result.requests.total}`));
      resolve({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 });
    });
  });
}

/** The files `wrangler deploy` would upload, raw and gzipped, from a dry run. */
function bundleSize(config) {
  const out = mkdtempSync(join(tmpdir(), 'edge-jwt-bundle-'));
  const args = ['deploy', '--dry-run', '--outdir', out, ...(config ? ['--config', config] : [])];
  execFileSync(join(root, 'node_modules', '.bin', 'wrangler'), args, { cwd: root, env: toolEnv, stdio: 'ignore' });
  let raw = 0;
  let gzip = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.map') && name !== 'README.md') {
        const bytes = readFileSync(path);
        raw += bytes.length;
        gzip += gzipSync(bytes, { level: 9 }).length;
      }
    }
  };
  walk(out);
  return { raw, gzip };
}

const secrets = devVars('bench-backend');
const servers = [
  { name: 'edge-jwt', ...(await startIssuer({ secrets })) },
  { name: 'baseline', ...(await startIssuer({ secrets, config: baselineConfig })) },
];
const results = { machine: process.env.BENCH_MACHINE ?? '', rounds: ROUNDS, seconds: DURATION, connections: CONNECTIONS, rows: {} };
try {
  for (const [row, scenario] of [['POST /token', tokenScenario], ['POST /introspect', introspectScenario],
    ['GET /.well-known/jwks.json', jwksScenario]]) {
    const requests = {};
    for (const server of servers) requests[server.name] = await scenario(server);
    const runs = { 'edge-jwt': [], baseline: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) runs[server.name].push(await run(server, requests[server.name]));
    }
    results.rows[row] = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, {
      rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)),
    }]));
    const { 'edge-jwt': e, baseline: b } = results.rows[row];
    console.log(`${row}: edge-jwt ${e.rps.toFixed(0)} req/s (p50 ${e.p50} ms, p99 ${e.p99} ms), baseline ${b.rps.toFixed(0)} req/s (p50 ${b.p50} ms, p99 ${b.p99} ms), ratio ${(e.rps / b.rps).toFixed(2)}x`);
  }
} finally {
  for (const server of servers) {
    await server.stop();
    server.cleanup();
  }
}
// The floor, measured the same way: how much of the JWKS row's gap is the framework itself.
execFileSync('bash', [join(root, 'scripts', 'build-worker.sh'), 'benches/floor/rust'], { cwd: root, env: toolEnv, stdio: 'inherit' });
const floors = [];
for (const [name, config] of Object.entries(floorConfigs)) floors.push({ name, ...(await startIssuer({ secrets, config })) });
try {
  const runs = Object.fromEntries(floors.map((f) => [f.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? floors : [...floors].reverse();
    for (const floor of order) runs[floor.name].push(await run(floor, await jwksScenario()));
  }
  results.floor = Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, {
    rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)),
  }]));
  const { 'workers-rs': r, js: j } = results.floor;
  console.log(`floor (static JSON): workers-rs ${r.rps.toFixed(0)} req/s, JS ${j.rps.toFixed(0)} req/s, ratio ${(r.rps / j.rps).toFixed(2)}x`);
} finally {
  for (const floor of floors) {
    await floor.stop();
    floor.cleanup();
  }
}
results.bundle = { 'edge-jwt': bundleSize(), baseline: bundleSize(baselineConfig) };
console.log(`bundle: edge-jwt ${JSON.stringify(results.bundle['edge-jwt'])}, baseline ${JSON.stringify(results.bundle.baseline)}`);
mkdirSync(join(root, 'target', 'bench'), { recursive: true });
writeFileSync(join(root, 'target', 'bench', 'worker.json'), JSON.stringify(results, null, 2));
