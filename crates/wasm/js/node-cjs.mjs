// Node (require): bundled to CommonJS by esbuild; `__dirname` is the CommonJS one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync } from './edge_jwt.js';

initSync({ module: readFileSync(join(__dirname, 'edge_jwt_bg.wasm')) });

export * from './api.mjs';
