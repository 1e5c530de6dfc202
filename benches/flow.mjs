// The authorization code flow, whole, per second: edge-jwt (/authorize → the app's back end
// accepts the challenge → /token) against the same flow in @cloudflare/workers-oauth-provider
// (/authorize, whose login handler approves at once → /token), both under the same
// `wrangler dev` settings, CONCURRENCY flows at a time for BENCH_SECONDS, interleaved rounds,
// the median kept. Writes target/bench/flow.json for benches/report.mjs. Never a pass/fail test.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { startIssuer, startWorker, root } from '../tests/e2e/harness.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 8);
const REDIRECT = 'http://127.0.0.1:33418/callback';
const LOGIN = 'http://127.0.0.1:9/login';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function register(base) {
  const res = await fetch(`${base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', client_name: 'bench',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }) });
  if (res.status !== 201) throw new Error(`${base}/register answered ${res.status}: ${await res.text()}`);
  return (await res.json()).client_id;
}

let users = 0;

/**
 * One whole flow; `approve` turns the answer of /authorize into the callback URL. Each flow is
 * another user's browser (its own `CF-Connecting-IP`): edge-jwt limits /authorize per address.
 */
async function flow(base, clientId, approve) {
  const user = ++users;
  const address = `10.${(user >> 16) & 255}.${(user >> 8) & 255}.${user & 255}`;
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(`${base}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 'st',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })) url.searchParams.set(k, v);
  const authorized = await fetch(url, { redirect: 'manual', headers: { 'CF-Connecting-IP': address } });
  if (authorized.status !== 302) throw new Error(`${base}/authorize answered ${authorized.status}: ${await authorized.text()}`);
  const callback = new URL(await approve(new URL(authorized.headers.get('location'))));
  const token = await fetch(`${base}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: callback.searchParams.get('code'),
      redirect_uri: REDIRECT, code_verifier: verifier }) });
  if (token.status !== 200) throw new Error(`${base}/token answered ${token.status}: ${await token.text()}`);
  await token.arrayBuffer();
}

/** Flows per second, CONCURRENCY at a time, for SECONDS. */
async function measure(run) {
  const until = Date.now() + SECONDS * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < until) {
      await run();
      done++;
    }
  }));
  return done / ((Date.now() - started) / 1000);
}

const issuer = await startIssuer({ vars: { EDGE_JWT_LOGIN_URL: LOGIN, EDGE_JWT_REGISTRATION: 'open' } });
const baseline = await startWorker({ cwd: join(root, 'benches', 'oauth-baseline'),
  persistDir: mkdtempSync(join(tmpdir(), 'edge-jwt-oauth-baseline-')), readyPath: '/register' });
try {
  const app = { Authorization: issuer.basic, 'Content-Type': 'application/json' };
  const edgeClient = await register(issuer.base);
  const baseClient = await register(baseline.base);
  const edge = () => flow(issuer.base, edgeClient, async (toLogin) => {
    const challenge = toLogin.searchParams.get('login_challenge');
    const res = await fetch(`${issuer.base}/authorizations/${challenge}/accept`, { method: 'POST', headers: app,
      body: JSON.stringify({ sub: `user-${users}` }) });
    return (await res.json()).redirect_to;
  });
  const base = () => flow(baseline.base, baseClient, async (callback) => callback.href);
  const runs = { 'edge-jwt': [], baseline: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs['edge-jwt'].push(await measure(edge));
    runs.baseline.push(await measure(base));
  }
  const result = { rounds: ROUNDS, seconds: SECONDS, concurrency: CONCURRENCY,
    'edge-jwt': median(runs['edge-jwt']), baseline: median(runs.baseline) };
  mkdirSync(join(root, 'target', 'bench'), { recursive: true });
  writeFileSync(join(root, 'target', 'bench', 'flow.json'), JSON.stringify(result, null, 2));
  console.log(`authorization code flow: edge-jwt ${result['edge-jwt'].toFixed(1)}/s, workers-oauth-provider ${result.baseline.toFixed(1)}/s`);
} finally {
  await baseline.stop();
  await issuer.stop();
  issuer.cleanup();
}
