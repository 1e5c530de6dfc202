// Next.js middleware and Vercel's edge runtime (the `edge-light` condition): the wasm comes
// from an imported module (`?module`), as workerd.mjs has it, never fetched by URL: the edge
// sandbox cannot fetch the package's own files (every request would answer 500).
import module from './edge_jwt_bg.wasm?module';
import { initSync } from './edge_jwt.js';

// Next.js hands over a WebAssembly.Module made in another realm than the sandbox's globals, so
// `instanceof` fails where the module itself is fine: it gets this realm's prototype.
if (!(module instanceof WebAssembly.Module) && Object.prototype.toString.call(module) === '[object WebAssembly.Module]') {
  Object.setPrototypeOf(module, WebAssembly.Module.prototype);
}
initSync({ module });

export * from './api.mjs';
