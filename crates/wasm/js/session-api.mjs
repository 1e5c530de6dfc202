// `edge-jwt/session`: what a browser needs to keep a session with an edge-jwt issuer, with no
// wasm at all (no verifier: a page cannot trust a signature check it runs itself anyway).
// The root entry exports the same classes.
export { Session } from './session.mjs';
export { DpopKey } from './dpop-key.mjs';
export { JwtError, SessionEnded, RefreshFailed, RevokeFailed } from './errors.mjs';
