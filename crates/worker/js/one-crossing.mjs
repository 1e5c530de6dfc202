// The issuer with one crossing into wasm per request: the JS reads the method, the URL, the few
// headers the handlers read and the body, makes one call (`handleParts`, crates/worker/src/
// edge.rs), and builds the response from what it returns, where the `worker` crate's Request
// and Response cross once per header, per body chunk and per response field.
import Issuer, { AuthorizationObject, SessionObject, SubjectObject } from '../build/index.js';

export { AuthorizationObject, SessionObject, SubjectObject };

// worker-build puts every wasm-bindgen export on its entrypoint's prototype.
const { handleParts, requestShape } = Issuer.prototype;
// The header names the handlers read, then the longest body they accept: the Rust side's.
const shape = requestShape();
const MAX_BODY = Number(shape.pop());
const HEADERS = shape;

export default {
  async fetch(request, env) {
    const headers = [];
    for (const name of HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) headers.push(name, value);
    }
    const parts = await handleParts(request.method, request.url, headers, await body(request), env);
    const answer = new Headers();
    const last = parts.length - 1;
    for (let i = 1; i < last; i += 2) answer.append(parts[i], parts[i + 1]);
    return new Response(parts[last] === '' ? null : parts[last], { status: Number(parts[0]), headers: answer });
  },
};

/** The body, read whole up to MAX_BODY bytes; `undefined` past it (the handler answers 413). */
async function body(request) {
  if (request.body === null) return new Uint8Array(0);
  if (Number(request.headers.get('content-length')) > MAX_BODY) return undefined;
  const reader = request.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > MAX_BODY) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}
