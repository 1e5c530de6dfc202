// DpopKey in Node (no IndexedDB: keys in memory): one key per name, proofs that jose accepts
// with the key from their own header, and clear errors for what cannot work.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { installPackage, importFrom } from './install.mjs';

let pkg;

before(async () => {
  pkg = await importFrom(installPackage());
});

test('one key per name, until it is removed', async () => {
  const a = await pkg.DpopKey.load({ indexedDB: null, name: 'key-a' });
  assert.equal((await pkg.DpopKey.load({ indexedDB: null, name: 'key-a' })).thumbprint, a.thumbprint);
  assert.match(a.thumbprint, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(a.algorithm, 'ES256');
  assert.notEqual((await pkg.DpopKey.load({ indexedDB: null, name: 'key-b' })).thumbprint, a.thumbprint);
  await pkg.DpopKey.remove({ indexedDB: null, name: 'key-a' });
  assert.notEqual((await pkg.DpopKey.load({ indexedDB: null, name: 'key-a' })).thumbprint, a.thumbprint);
});

for (const algorithm of ['ES256', 'EdDSA']) {
  test(`an ${algorithm} proof is what RFC 9449 §4.2 says, and jose verifies it with its own jwk`, async () => {
    const key = await pkg.DpopKey.load({ indexedDB: null, name: `proof-${algorithm}`, algorithm });
    const proof = await key.proof('GET', 'https://api.example/orders?page=2#x', { accessToken: 'the.access.token', nonce: 'n-1' });
    const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, { typ: 'dpop+jwt' });
    assert.equal(protectedHeader.alg, algorithm);
    assert.equal(await jose.calculateJwkThumbprint(protectedHeader.jwk), key.thumbprint);
    assert.equal(protectedHeader.jwk.d, undefined);
    assert.equal(payload.htm, 'GET');
    assert.equal(payload.htu, 'https://api.example/orders', 'no query, no fragment');
    assert.equal(payload.nonce, 'n-1');
    const ath = jose.base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('the.access.token'))));
    assert.equal(payload.ath, ath);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 5);
    const again = jose.decodeJwt(await key.proof('GET', 'https://api.example/orders'));
    assert.notEqual(again.jti, payload.jti, 'a new jti for every proof');
    assert.equal(again.ath, undefined);
  });
}

test('an algorithm a DPoP key cannot have, and an IndexedDB that fails, get clear errors', async () => {
  await assert.rejects(pkg.DpopKey.load({ indexedDB: null, name: 'rsa', algorithm: 'RS256' }),
    { code: 'ERR_INVALID_OPTION', message: /"ES256" or "EdDSA"/ });
  const broken = { open() { throw new DOMException('The operation is insecure.', 'SecurityError'); } };
  await assert.rejects(pkg.DpopKey.load({ indexedDB: broken }),
    { code: 'ERR_INVALID_OPTION', message: /indexedDB: null/ });
  await assert.rejects(pkg.DpopKey.remove({ indexedDB: broken }), { code: 'ERR_INVALID_OPTION' });
});

test('a Session whose DpopKey could not be had tries again on the next refresh', async () => {
  const jwt = (exp) => new jose.UnsecuredJWT({ sub: 'u' }).setExpirationTime(exp).encode();
  const now = Math.floor(Date.now() / 1000);
  const proofs = [];
  const fetch = async (url, init) => {
    proofs.push(new Headers(init.headers).get('DPoP'));
    return Response.json({ access_token: jwt(now + 300), refresh_token: 'r2', token_type: 'DPoP' });
  };
  const session = new pkg.Session({ issuer: 'https://issuer.test', tokens: { access_token: jwt(now - 10), refresh_token: 'r1' }, dpop: true, fetch });
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
  globalThis.indexedDB = { open() { throw new DOMException('The operation is insecure.', 'SecurityError'); } };
  try {
    await assert.rejects(session.refresh(), { code: 'ERR_INVALID_OPTION', message: /indexedDB: null/ });
  } finally {
    if (saved) Object.defineProperty(globalThis, 'indexedDB', saved); else delete globalThis.indexedDB;
  }
  const pair = await session.refresh();
  assert.equal(pair.token_type, 'DPoP');
  assert.equal(jose.decodeProtectedHeader(proofs.at(-1)).typ, 'dpop+jwt');
});
