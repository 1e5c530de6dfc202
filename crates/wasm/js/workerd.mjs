// Cloudflare Workers / workerd: wasm can only be compiled from an imported module.
import module from './edge_jwt_bg.wasm';
import { initSync } from './edge_jwt.js';

initSync({ module });

export * from './api.mjs';
