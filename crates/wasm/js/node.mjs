// Node (ESM): the wasm is read from disk and instantiated synchronously; no init call.
import { readFileSync } from 'node:fs';
import { initSync } from './edge_jwt.js';

initSync({ module: readFileSync(new URL('./edge_jwt_bg.wasm', import.meta.url)) });

export * from './api.mjs';
