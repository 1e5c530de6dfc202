// Installs the packed tarball (dist/edge-jwt-*.tgz) into a fresh folder, as a user would, and
// loads it from there through the package's own `exports` (never from the source folder).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function tarball() {
  const name = readdirSync(join(root, 'dist')).find((f) => /^edge-jwt-.*\.tgz$/.test(f));
  if (!name) throw new Error('dist/edge-jwt-*.tgz is missing: run `make npm` (make test does)');
  return join(root, 'dist', name);
}

/** A fresh folder with the tarball installed; returns the folder. */
export function installPackage(extraFiles = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'edge-jwt-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(dir, name), text);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball()], {
    cwd: dir, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return dir;
}

/** The package (or one of its entry points, `edge-jwt/hono`...) as `import` sees it from `dir`. */
export async function importFrom(dir, entry = 'edge-jwt') {
  const shim = join(dir, `reexport-${entry.replace(/\W/g, '-')}.mjs`);
  writeFileSync(shim, `export * from '${entry}';\n`);
  return import(pathToFileURL(shim).href);
}

/** The package as `require('edge-jwt')` sees it from `dir`. */
export function requireFrom(dir) {
  return createRequire(join(dir, 'index.cjs'))('edge-jwt');
}
