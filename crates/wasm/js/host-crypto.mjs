// WebCrypto's parameters for each JOSE algorithm, in one table: the key's (to import or make
// it) and the signature's (to verify or sign). Used by `verifyAsync` and `verifyRequest` to
// hand signatures to the host, and by `DpopKey` to make and use its key.

const rsa = (name, hash, saltLength) => ({
  key: { name, hash },
  signature: saltLength ? { name, saltLength } : { name },
});

/**
 * The algorithms whose signatures `verifyAsync` and `verifyRequest` hand the host, which runs
 * them natively (and, in Node, on its thread pool): ECDSA, RSA, and Ed25519 where the host has
 * it (elsewhere its key does not import, and the core's wasm decides). The core keeps from the
 * host every Ed25519 signature hosts disagree on (`host_decides_alike`). HMAC is not here: the
 * core decides it in wasm, cheaper than a round trip. PSS salts are as long as the hash
 * (RFC 7518 §3.5).
 */
export const WEBCRYPTO = {
  ES256: { key: { name: 'ECDSA', namedCurve: 'P-256' }, signature: { name: 'ECDSA', hash: 'SHA-256' } },
  ES384: { key: { name: 'ECDSA', namedCurve: 'P-384' }, signature: { name: 'ECDSA', hash: 'SHA-384' } },
  RS256: rsa('RSASSA-PKCS1-v1_5', 'SHA-256'),
  RS384: rsa('RSASSA-PKCS1-v1_5', 'SHA-384'),
  RS512: rsa('RSASSA-PKCS1-v1_5', 'SHA-512'),
  PS256: rsa('RSA-PSS', 'SHA-256', 32),
  PS384: rsa('RSA-PSS', 'SHA-384', 48),
  PS512: rsa('RSA-PSS', 'SHA-512', 64),
  EdDSA: { key: { name: 'Ed25519' }, signature: { name: 'Ed25519' } },
};

/** The algorithms a DPoP key may use. */
export const DPOP_KEY_ALGORITHMS = ['ES256', 'EdDSA'];
