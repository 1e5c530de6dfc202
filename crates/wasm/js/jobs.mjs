// The arrays the wasm side hands over for the host's WebCrypto, unpacked into named fields in
// this one place. They are arrays because each property name of an object would be a string
// made across the boundary on every call. Their Rust side is crates/wasm/src/lib.rs
// (`signature_array`, `WasmVerifier::signature_job`, `RequestCheck::proof`); the package tests
// (tests/npm/verifier.test.mjs, "the wasm jobs") fail if the two disagree.

/** A signature to check: `[alg, keys, input, signature]` (keys: a Uint32Array of key indexes). */
export function signature([alg, keys, input, signature]) {
  return { alg, keys, input, signature };
}

/**
 * `verifyAsync`'s job: a signature, then the outcome of every other rule (`claims` as JSON text,
 * or the core's `error`), which counts only once the signature holds; `valid`, the verdict on
 * the signature where the core has decided it (an HMAC), else undefined.
 */
export function signatureJob([alg, keys, input, signature, claims, error, valid]) {
  return { alg, keys, input, signature, claims, error, valid };
}

/**
 * A bound token's DPoP proof to check, or undefined: `[alg, x, y, input, signature]` (x, y: its
 * `jwk`'s coordinates), then, when its claims pass, `[jti, until]` (the last second it passes)
 * for a shared replay store.
 */
export function proof(array) {
  if (!array) return undefined;
  const [alg, x, y, input, signature, jti, until] = array;
  return { alg, x, y, input, signature, jti, until };
}
