// The README's code examples are files in examples/, each run or type-checked by make test.
// The README carries each one verbatim after a marker line `<!-- example: examples/<file> -->`:
//   node scripts/readme-examples.mjs          check that every marked block equals its file
//   node scripts/readme-examples.mjs --write  copy the files into the README
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MARKER = /^<!-- example: (examples\/[\w.-]+) -->\n```(\w+)\n([\s\S]*?)```\n/gm;
const LANGUAGE = { '.mjs': 'js', '.ts': 'ts' };

/** The README with every marked block replaced by its file, and what differed or is missing. */
export function embed(readme = readFileSync(join(root, 'README.md'), 'utf8')) {
  const stale = [];
  const included = new Set();
  const text = readme.replace(MARKER, (_, path, language, body) => {
    const file = readFileSync(join(root, path), 'utf8');
    const wanted = LANGUAGE[extname(path)];
    included.add(path);
    if (body !== file || language !== wanted) stale.push(path);
    return `<!-- example: ${path} -->\n\`\`\`${wanted}\n${file}\`\`\`\n`;
  });
  const missing = readdirSync(join(root, 'examples')).map((f) => `examples/${f}`).filter((f) => !included.has(f));
  return { text, stale, missing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { text, stale, missing } = embed();
  if (process.argv.includes('--write')) {
    writeFileSync(join(root, 'README.md'), text);
  } else if (stale.length) {
    console.error(`README.md differs from ${stale.join(', ')}: run node scripts/readme-examples.mjs --write`);
    process.exitCode = 1;
  }
  if (missing.length) {
    console.error(`README.md does not include ${missing.join(', ')}: add a marker line for each`);
    process.exitCode = 1;
  }
}
