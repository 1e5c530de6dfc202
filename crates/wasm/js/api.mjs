// The edge-jwt API for JavaScript: thin classes over the wasm core, one module per idea. Every
// rule about tokens lives in Rust (edge-jwt-core); these modules convert values and errors,
// fetch key sets, and keep a browser session.
export { JwtError } from './errors.mjs';
export { Verifier } from './verifier.mjs';
export { resourceRefusal, checkScopes, protectedResourceMetadata, protectedResourceMetadataUrl } from './resource.mjs';
export { RemoteJwks } from './remote.mjs';
export { delegationChain, checkDelegation } from './delegation.mjs';
export { decode, isExpired, expiresIn } from './unverified.mjs';
export { Session } from './session.mjs';
export { DpopKey } from './dpop-key.mjs';
