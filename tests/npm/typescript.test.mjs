// The declarations as TypeScript projects resolve them from the installed package, through its
// `exports`: an ES module project and a CommonJS one (module Node16), both under --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installPackage, root } from './install.mjs';

const run = promisify(execFile);
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const consumer = [
  "import { Verifier, JwtError, type JwtClaims, type RevocationStore } from 'edge-jwt';",
  "const verifier = new Verifier({ keys: [] }, { issuer: 'https://auth.example' });",
  "const store: RevocationStore = { get: (key: string) => (key.startsWith('revoked:') ? null : null) };",
  "export async function check(token: string): Promise<string | undefined> {",
  '  try {',
  '    const claims: JwtClaims = await verifier.verifyNotRevoked(token, store);',
  '    return claims.sub;',
  '  } catch (e) {',
  '    if (e instanceof JwtError) return e.code;',
  '    throw e;',
  '  }',
  '}',
  '',
].join('\n');

async function typecheck(type, file) {
  const dir = installPackage();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }));
  writeFileSync(join(dir, file), consumer);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
    files: [file],
  }));
  return run(tsc, ['-p', 'tsconfig.json'], { cwd: dir }).catch((e) => assert.fail(`tsc (${type}):\n${e.stdout}${e.stderr}`));
}

test('a CommonJS TypeScript project (module Node16) gets the require entry\'s declarations (no TS1479)', async () => {
  await typecheck('commonjs', 'consumer.ts');
});

test('an ES module TypeScript project (module Node16) gets the import entry\'s declarations', async () => {
  await typecheck('module', 'consumer.ts');
});
