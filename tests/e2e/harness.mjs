// Starts and stops a real `wrangler dev` for end-to-end tests: a free loopback port, a fresh
// persist folder and secrets of its own (never the developer's .dev.vars).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPackage } from '../npm/install.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'node_modules', '.bin');
const wrangler = join(bin, 'wrangler');
/** The environment wrangler runs in: the npm `node` package's Node 22 first on PATH. */
export const toolEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A fresh key set and client secret, from the project's own CLI. */
export function devVars(clientId = 'e2e-backend') {
  const cli = join(root, 'target', 'debug', 'edge-jwt');
  const text = existsSync(cli)
    ? execFileSync(cli, ['dev-vars', clientId], { encoding: 'utf8' })
    : execFileSync('cargo', ['run', '-q', '-p', 'edge-jwt-cli', '--', 'dev-vars', clientId], {
        cwd: root,
        encoding: 'utf8',
      });
  const value = (name) => text.match(new RegExp(`^${name}='(.*)'$`, 'm'))[1];
  const clients = JSON.parse(value('EDGE_JWT_CLIENTS'));
  return { text, clientId, clientSecret: clients[clientId], keys: JSON.parse(value('EDGE_JWT_SIGNING_KEYS')) };
}

/**
 * Starts wrangler dev. `vars` override [vars]; `persistDir` and `secrets` may be reused to
 * restart on the same state; `config` runs another Worker (the benchmark's baseline) the same
 * way; `port`, when the test needs the issuer's URL before it starts. Resolves once /healthz
 * answers at all.
 */
export async function startIssuer({ vars = {}, persistDir, secrets, config, logLevel = 'warn', testScheduled = false, port } = {}) {
  port ??= await freePort();
  const inspectorPort = await freePort();
  persistDir ??= mkdtempSync(join(tmpdir(), 'edge-jwt-state-'));
  secrets ??= devVars();
  const envFile = join(mkdtempSync(join(tmpdir(), 'edge-jwt-env-')), '.env');
  writeFileSync(envFile, secrets.text, { mode: 0o600 });
  const base = `http://127.0.0.1:${port}`;
  const allVars = { EDGE_JWT_ISSUER: base, EDGE_JWT_AUDIENCE: `${base}/api`, ...vars };
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort),
    '--persist-to', persistDir, '--env-file', envFile, '--log-level', logLevel, '--show-interactive-dev-session=false'];
  if (config) args.push('--config', config);
  // GET /__scheduled runs the Cron Trigger's handler (managed keys).
  if (testScheduled) args.push('--test-scheduled');
  // The demo page is served only where the demo is on, as `make dev` does.
  if (allVars.EDGE_JWT_DEMO_LOGIN === 'true') args.push('--assets', 'www');
  for (const [k, v] of Object.entries(allVars)) args.push('--var', `${k}:${v}`);
  const started = Date.now();
  const child = spawn(wrangler, args, {
    cwd: root,
    env: { ...toolEnv, CLOUDFLARE_API_TOKEN: '', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    try {
      // Any HTTP answer means the Worker is up (a misconfigured one answers 503).
      await fetch(`${base}/healthz`);
      break;
    } catch {}
    if (Date.now() > deadline) {
      stopGroup(child, 'SIGKILL');
      throw new Error(`wrangler dev did not answer within 180 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const startupMs = Date.now() - started;
  return {
    base, port, inspectorPort, persistDir, secrets, startupMs, child,
    log: () => log,
    basic: `Basic ${Buffer.from(`${secrets.clientId}:${secrets.clientSecret}`).toString('base64')}`,
    /** Stops wrangler: SIGTERM by default, SIGKILL for a hard stop. */
    async stop(signal = 'SIGTERM') {
      stopGroup(child, signal);
      const timer = setTimeout(() => stopGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    cleanup() { rmSync(persistDir, { recursive: true, force: true }); },
  };
}

function stopGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch {}
}

export function form(params) {
  return { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString() };
}

export async function json(res) {
  const text = await res.text();
  try { return JSON.parse(text); } catch { throw new Error(`not JSON (${res.status}): ${text}`); }
}

/**
 * Starts a session at `issuer` (anything with `base` and `basic`) as its trusted client:
 * `body` is the `/sessions` JSON. Returns the token pair; anything but 201 throws.
 */
export async function startSession(issuer, body) {
  const res = await fetch(`${issuer.base}/sessions`, {
    method: 'POST',
    headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const pair = await json(res);
  if (res.status !== 201) throw new Error(`/sessions answered ${res.status}: ${JSON.stringify(pair)}`);
  return pair;
}

/** The local KV's keys (name, expiration) under `persistDir`, read back with wrangler itself. */
export function kvKeys(persistDir) {
  const out = execFileSync(wrangler, ['kv', 'key', 'list', '--binding', 'EDGE_JWT_KV', '--local', '--persist-to', persistDir],
    { cwd: root, encoding: 'utf8', env: toolEnv });
  return JSON.parse(out.slice(out.indexOf('[')));
}

/**
 * Starts `wrangler dev` for a Worker other than the issuer (its wrangler.toml in `cwd`), on
 * `persistDir`; resolves once `readyPath` answers at all.
 */
export async function startWorker({ cwd, persistDir, readyPath = '/', port }) {
  port ??= await freePort();
  const inspectorPort = await freePort();
  const child = spawn(wrangler, ['dev', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspectorPort), '--persist-to', persistDir, '--log-level', 'warn',
    '--show-interactive-dev-session=false'],
  { cwd, env: { ...toolEnv, CLOUDFLARE_API_TOKEN: '', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', r));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    try { await fetch(`${base}${readyPath}`); break; } catch {}
    if (Date.now() > deadline) {
      stopGroup(child, 'SIGKILL');
      throw new Error(`wrangler dev did not answer within 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base, inspectorPort, log: () => log,
    async stop() {
      stopGroup(child, 'SIGTERM');
      const timer = setTimeout(() => stopGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The Hono resource a Workers user would write (tests/e2e/fixtures/hono-worker.mjs, on the
 * installed package) in front of `issuer`, under `wrangler dev` on the issuer's persist folder;
 * with `kv`, bound to the issuer's KV namespace (its revocation list).
 */
export async function startHonoResource(issuer, { name, port, kv = false }) {
  const dir = installPackage({
    'worker.mjs': readFileSync(join(root, 'tests', 'e2e', 'fixtures', 'hono-worker.mjs'), 'utf8'),
    'wrangler.toml': [
      `name = "${name}"`, 'main = "worker.mjs"', 'compatibility_date = "2026-11-01"',
      // The issuer's KV namespace (same id, same persist folder).
      ...(kv ? ['[[kv_namespaces]]', 'binding = "EDGE_JWT_KV"', 'id = "00000000000000000000000000000000"'] : []),
      '[vars]', `ISSUER = "${issuer.base}"`, `AUDIENCE = "${issuer.base}/api"`, '',
    ].join('\n'),
  });
  // Hono is the user's dependency (an optional peer of edge-jwt): the workspace's pinned copy.
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(join(root, 'node_modules', 'hono'), join(dir, 'node_modules', 'hono'), 'dir');
  return startWorker({ cwd: dir, persistDir: issuer.persistDir, readyPath: '/health', port });
}

/**
 * The README's MCP server (examples/mcp-server.mjs, on the installed package, as written) in
 * front of `issuer`, under `wrangler dev` on the issuer's persist folder, its KV namespace
 * bound (the revocation list).
 */
export async function startExampleMcpServer(issuer, { name, port }) {
  const dir = installPackage({
    'mcp-server.mjs': readFileSync(join(root, 'examples', 'mcp-server.mjs'), 'utf8'),
    'wrangler.toml': [
      `name = "${name}"`, 'main = "mcp-server.mjs"', 'compatibility_date = "2026-11-01"',
      'compatibility_flags = ["nodejs_compat"]',
      '[[kv_namespaces]]', 'binding = "EDGE_JWT_KV"', 'id = "00000000000000000000000000000000"',
      '[vars]', `ISSUER = "${issuer.base}"`, '',
    ].join('\n'),
  });
  // The user's dependencies: the workspace's pinned Hono and MCP SDK (and, through them, theirs).
  mkdirSync(join(dir, 'node_modules', '@modelcontextprotocol'), { recursive: true });
  symlinkSync(join(root, 'node_modules', 'hono'), join(dir, 'node_modules', 'hono'), 'dir');
  symlinkSync(join(root, 'node_modules', '@modelcontextprotocol', 'sdk'),
    join(dir, 'node_modules', '@modelcontextprotocol', 'sdk'), 'dir');
  return startWorker({ cwd: dir, persistDir: issuer.persistDir, readyPath: '/.well-known/oauth-protected-resource/mcp', port });
}

/**
 * What the MCP SDK asks an OAuth client to keep (its `OAuthClientProvider`), in memory: a
 * public client with the loopback `redirect` and `clientName`, registering itself.
 */
export class MemoryOAuthProvider {
  information;
  saved;
  verifier;
  authorizationUrl;
  constructor(redirect, clientName) {
    this.redirect = redirect;
    this.clientName = clientName;
  }
  get redirectUrl() { return this.redirect; }
  get clientMetadata() {
    return { redirect_uris: [this.redirect], client_name: this.clientName, token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };
  }
  clientInformation() { return this.information; }
  saveClientInformation(information) { this.information = information; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

/** Deletes one key of the local KV under `persistDir`: a KV that never returns that entry. */
export function kvDelete(persistDir, key) {
  execFileSync(wrangler, ['kv', 'key', 'delete', key, '--binding', 'EDGE_JWT_KV', '--local', '--persist-to', persistDir],
    { cwd: root, encoding: 'utf8', env: toolEnv });
}

/** Debian's Chromium through playwright-core, headless, with nothing reaching the network. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * Records `page` for a browser test: its console is kept, and `step(name, body)` runs one step,
 * keeping its screenshot in tests/.artifacts either way and the console too when it fails.
 */
export function recordSteps(page) {
  const artifacts = join(root, 'tests', '.artifacts');
  mkdirSync(artifacts, { recursive: true });
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e}`));
  return async function step(name, body) {
    try {
      await body();
    } catch (error) {
      writeFileSync(join(artifacts, `${name}.console.txt`), consoleLines.join('\n'));
      throw error;
    } finally {
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true }).catch(() => {});
    }
  };
}
