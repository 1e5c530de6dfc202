// What `wrangler deploy` ships: the issuer alone. The demo page and its password-less login are
// for `make dev` only (security review 2, finding 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, toolEnv } from './harness.mjs';

test('a production deploy (wrangler deploy --dry-run) carries no demo assets and the demo login off', () => {
  const out = mkdtempSync(join(tmpdir(), 'edge-jwt-deploy-'));
  const printed = execFileSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out],
    { cwd: root, env: { ...toolEnv, CLOUDFLARE_API_TOKEN: '', CI: 'true' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.doesNotMatch(printed, /assets/i, printed);
  assert.match(printed, /EDGE_JWT_DEMO_LOGIN[^\n]*false/, printed);
  const files = readdirSync(out, { recursive: true }).map(String);
  assert.ok(!files.some((f) => /index\.html|demo\.(mjs|css)/.test(f)), files.join(', '));
});
