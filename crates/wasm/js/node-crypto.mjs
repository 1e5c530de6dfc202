// node:crypto's one-shot signature check, where the runtime has it (Node, Bun, Deno, Workers
// with nodejs_compat): read at run time through `process.getBuiltinModule`, never imported, so
// a browser bundle never pulls it in. `Verifier.verify` hands it the signatures the core has
// chosen the key for; every rule stays in the core.

/** node:crypto, or null where the runtime has none. */
export const nodeCrypto = (() => {
  try {
    return globalThis.process?.getBuiltinModule?.('node:crypto') ?? null;
  } catch {
    return null;
  }
})();

const rsa = (hash, saltLength) => ({
  hash,
  options: saltLength
    ? { padding: nodeCrypto?.constants.RSA_PKCS1_PSS_PADDING, saltLength }
    : { padding: nodeCrypto?.constants.RSA_PKCS1_PADDING },
});

/**
 * `crypto.verify`'s digest and key options per JOSE algorithm: JOSE's ECDSA signatures are
 * r‖s (IEEE P1363), PSS salts are as long as the hash (RFC 7518 §3.5). ES384 too: the wasm has
 * no P-384, so where there is no node:crypto only `verifyAsync` (WebCrypto) checks it.
 */
export const NODE_VERIFY = {
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  RS256: rsa('sha256'),
  RS384: rsa('sha384'),
  RS512: rsa('sha512'),
  PS256: rsa('sha256', 32),
  PS384: rsa('sha384', 48),
  PS512: rsa('sha512', 64),
  EdDSA: { hash: null, options: {} },
};

/** A public key's KeyObject, imported once from its JWK material; null if the host refuses it. */
export function nodePublicKey(material) {
  try {
    return nodeCrypto.createPublicKey({ key: material, format: 'jwk' });
  } catch {
    return null;
  }
}
