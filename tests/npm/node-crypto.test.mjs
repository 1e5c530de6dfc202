// In Node, `verify` hands an asymmetric signature to node:crypto's synchronous one-shot check on
// a key imported once, after the core has chosen the key and refused what hosts disagree on;
// HMAC stays in wasm. node:crypto is wrapped here (before the package loads: each test file runs
// in a process of its own) to count what reaches it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { installPackage, importFrom } from './install.mjs';

const counts = { verify: 0, pooled: 0, createPublicKey: 0 };
const getBuiltinModule = process.getBuiltinModule.bind(process);
process.getBuiltinModule = (name) => {
  const module = getBuiltinModule(name);
  if (name !== 'node:crypto') return module;
  return {
    ...module,
    constants: module.constants,
    verify: (...args) => {
      counts.verify++;
      if (typeof args[4] === 'function') counts.pooled++; // the callback form: the thread pool
      return module.verify(...args);
    },
    createPublicKey: (...args) => { counts.createPublicKey++; return module.createPublicKey(...args); },
  };
};

const ISS = 'https://issuer.test';
let pkg;

before(async () => {
  pkg = await importFrom(installPackage());
});

async function signed(alg) {
  const secret = alg === 'HS256' ? new TextEncoder().encode('s'.repeat(32)) : undefined;
  const pair = secret ? undefined : await jose.generateKeyPair(alg, { extractable: true });
  const jwk = secret
    ? { kty: 'oct', k: jose.base64url.encode(secret), kid: 'k', alg }
    : { ...(await jose.exportJWK(pair.publicKey)), kid: 'k', alg };
  const token = await new jose.SignJWT({ sub: 'u' }).setProtectedHeader({ alg, kid: 'k', typ: 'at+jwt' })
    .setIssuer(ISS).setExpirationTime('1h').sign(secret ?? pair.privateKey);
  return { jwk, token };
}

for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256', 'ES384']) {
  test(`${alg}: verify and verifyAsync ask node:crypto, with the key imported once, and decide as the core does`, async () => {
    const { jwk, token } = await signed(alg);
    const verifier = new pkg.Verifier({ keys: [jwk] }, { issuer: ISS });
    const before = { ...counts };
    for (let i = 0; i < 3; i++) assert.equal(verifier.verify(token).sub, 'u');
    assert.equal((await verifier.verifyAsync(token)).sub, 'u');
    assert.equal(counts.verify - before.verify, 4);
    assert.equal(counts.createPublicKey - before.createPublicKey, 1, 'one KeyObject per key');
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    assert.throws(() => verifier.verify(flipped), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    // The core's rules after the signature still apply, and its refusals come first.
    assert.throws(() => verifier.verify(token, { now: Math.floor(Date.now() / 1000) + 7200 }), { code: 'ERR_JWT_EXPIRED' });
    // A signature a byte short never reaches the host.
    const short = jose.base64url.encode(jose.base64url.decode(s).slice(1));
    assert.throws(() => verifier.verify(`${h}.${p}.${short}`), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
}

test('HS256 stays in wasm: node:crypto is not asked', async () => {
  const { jwk, token } = await signed('HS256');
  const verifier = new pkg.Verifier({ keys: [jwk] }, { issuer: ISS, algorithms: ['HS256'] });
  const before = counts.verify;
  assert.equal(verifier.verify(token).sub, 'u');
  assert.equal(counts.verify, before);
});

test('verifyAsync: one at a time synchronously, many in flight on node:crypto\'s thread pool, deciding alike', async () => {
  const { jwk, token } = await signed('RS256');
  const verifier = new pkg.Verifier({ keys: [jwk] }, { issuer: ISS });
  const before = counts.pooled;
  for (let i = 0; i < 3; i++) assert.equal((await verifier.verifyAsync(token)).sub, 'u');
  assert.equal(counts.pooled, before, 'one at a time: no thread pool');
  const [h, p, s] = token.split('.');
  const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
  const expired = { now: Math.floor(Date.now() / 1000) + 7200 };
  const outcomes = await Promise.allSettled(Array.from({ length: 64 }, (_, i) =>
    (i === 7 ? verifier.verifyAsync(flipped) : i === 9 ? verifier.verifyAsync(token, expired) : verifier.verifyAsync(token))));
  assert.ok(counts.pooled - before >= 60, `in flight: the thread pool (${counts.pooled - before})`);
  assert.equal(outcomes[7].reason.code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  assert.equal(outcomes[9].reason.code, 'ERR_JWT_EXPIRED');
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled' && o.value.sub === 'u').length, 62);
  // Settled, one at a time again: synchronous.
  const after = counts.pooled;
  assert.equal((await verifier.verifyAsync(token)).sub, 'u');
  assert.equal(counts.pooled, after);
});
