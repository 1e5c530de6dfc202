// The algorithm matrix every runtime runs (Node, a Worker under wrangler dev, Chromium, Deno):
// tokens signed by jose with each algorithm, and the ways they can be wrong, each with the code
// `verify` and `verifyAsync` must both give. Built once in Node; the runtimes get it as JSON and
// run it with fixtures/matrix-runner.mjs.
import { createSign, generateKeyPairSync, createHmac } from 'node:crypto';
import * as jose from 'jose';

export const T0 = 1767225600;
export const ISS = 'https://issuer.test';
const b64 = (bytes) => Buffer.from(bytes).toString('base64url');

/** Every algorithm the package verifies, with jose's key generation parameters. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

async function keyFor(alg) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' } };
}

function signJwt(alg, key, claims = {}, header = {}) {
  return new jose.SignJWT({ sub: 'user-1', ...claims })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: `${alg}-1`, ...header })
    .setIssuer(ISS).setIssuedAt(T0).setExpirationTime(T0 + 300)
    .sign(key);
}

const flip = (segment) => {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[bytes.length >> 1] ^= 1;
  return b64(bytes);
};

/** `{ name, jwks, options, token, now, expect }`: `expect` is 'ok', an error code for both
 * paths, or `{ build: code }` for a key set the constructor must refuse. */
export async function buildMatrix() {
  const cases = [];
  const options = { issuer: ISS };
  const keys = {};
  for (const alg of ALGORITHMS) {
    keys[alg] = await keyFor(alg);
    const jwks = { keys: [keys[alg].jwk] };
    const good = await signJwt(alg, keys[alg].privateKey, { role: 'reader' });
    const [h, p, s] = good.split('.');
    // ES384 is checked by the host only (the package's wasm has no P-384): where the runtime has
    // node:crypto, `verify` asks it; elsewhere `verify` says to use `verifyAsync` once a token
    // has come that far. `verifyAsync` decides as for every algorithm.
    const withoutNode = (expect) => (alg === 'ES384' && expect !== 'ERR_JOSE_ALG_NOT_ALLOWED' ? 'ERR_INVALID_OPTION' : expect);
    const add = (what, token, expect) => cases.push({ name: `${alg} ${what}`, jwks, options, token, now: T0,
      expect: { sync: expect, async: expect, syncWithoutNodeCrypto: withoutNode(expect) } });
    add('signed by jose', good, 'ok');
    add('tampered payload', `${h}.${b64(JSON.stringify({ sub: 'admin', iss: ISS, exp: T0 + 300 }))}.${s}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    add('tampered signature', `${h}.${p}.${flip(s)}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    add('alg none', `${b64(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: `${alg}-1` }))}.${p}.`, 'ERR_JOSE_ALG_NOT_ALLOWED');
    add('expired', good, 'ERR_JWT_EXPIRED');
    cases.at(-1).now = T0 + 400;
  }

  // HS256 "signed" with the RSA public key's bytes (its JWK text, and its n): the classic
  // confusion, refused because the key is an RSA key.
  const rsaJwks = { keys: [keys.RS256.jwk] };
  const hsHeader = b64(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: 'RS256-1' }));
  const hsPayload = b64(JSON.stringify({ sub: 'admin', iss: ISS, exp: T0 + 300 }));
  for (const [what, secret] of [['its JWK', JSON.stringify(keys.RS256.jwk)], ['its n', Buffer.from(keys.RS256.jwk.n, 'base64url')]]) {
    const mac = createHmac('sha256', secret).update(`${hsHeader}.${hsPayload}`).digest();
    cases.push({ name: `HS256 signed with the RSA key's bytes (${what})`, jwks: rsaJwks, options, token: `${hsHeader}.${hsPayload}.${b64(mac)}`, now: T0, expect: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  }

  // A PS256 token under the same kid as an RS256-only key.
  const rsaKey = await jose.importJWK({ ...(await jose.exportJWK(keys.RS256.privateKey)), alg: 'PS256' }, 'PS256');
  cases.push({ name: 'PS256 token against an RS256-only key', jwks: rsaJwks, options, token: await signJwt('PS256', rsaKey, {}, { kid: 'RS256-1' }), now: T0, expect: 'ERR_JOSE_ALG_NOT_ALLOWED' });

  // A 1024-bit key: refused when the key set loads (RFC 7518 §3.3), with its token unverifiable.
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const smallJwk = { ...small.publicKey.export({ format: 'jwk' }), kid: 'small', alg: 'RS256' };
  const smallHeader = b64(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'small' }));
  const smallSig = createSign('RSA-SHA256').update(`${smallHeader}.${hsPayload}`).sign(small.privateKey);
  cases.push({ name: 'a 1024-bit RSA key', jwks: { keys: [smallJwk] }, options, token: `${smallHeader}.${hsPayload}.${b64(smallSig)}`, now: T0, expect: { build: 'ERR_JWKS_INVALID' } });

  // An RS256 signature whose first byte is zero, sent without it (one byte short of the
  // modulus): refused on both paths, though WebCrypto alone may accept it.
  for (let i = 0; ; i++) {
    const token = await signJwt('RS256', keys.RS256.privateKey, { n: i });
    const [h, p, s] = token.split('.');
    const sig = Buffer.from(s, 'base64url');
    if (sig[0] !== 0) continue;
    cases.push({ name: 'RS256 signature without its leading zero byte', jwks: rsaJwks, options, token: `${h}.${p}.${b64(sig.subarray(1))}`, now: T0, expect: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    cases.push({ name: 'RS256 signature with a leading zero byte, whole', jwks: rsaJwks, options, token, now: T0, expect: 'ok' });
    break;
  }
  return cases;
}

/** The results `runMatrix` should give for `cases`. */
/** What `runMatrix` must answer in a runtime with or without node:crypto. */
export function expected(cases, nodeCrypto) {
  const one = (expect) => {
    if (typeof expect !== 'object') return { sync: expect, async: expect };
    if (!('syncWithoutNodeCrypto' in expect)) return expect;
    return { sync: nodeCrypto ? expect.sync : expect.syncWithoutNodeCrypto, async: expect.async };
  };
  return { nodeCrypto, ...Object.fromEntries(cases.map((c) => [c.name, one(c.expect)])) };
}
