// Browsers, Deno and bundlers (ESM): the wasm is fetched next to this file, with top-level
// await, so importing the module is all a user does.
import init from './edge_jwt.js';

await init({ module_or_path: new URL('./edge_jwt_bg.wasm', import.meta.url) });

export * from './api.mjs';
