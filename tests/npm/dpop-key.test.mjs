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

test('a Session\'s proof names the method exactly as fetch sends it (only the six standard methods are upper-cased)', async () => {
  const jwt = (exp) => new jose.UnsecuredJWT({ sub: 'u' }).setExpirationTime(exp).encode();
  const now = Math.floor(Date.now() / 1000);
  const sent = [];
  const fetch = async (input, init) => {
    // What the host's own fetch would put on the wire, beside the proof made for it.
    sent.push({ method: new Request(input, init).method, proof: new Headers(init.headers).get('DPoP') });
    return new Response('{}');
  };
  const session = new pkg.Session({ issuer: 'https://issuer.test', fetch, dpop: true,
    tokens: { access_token: jwt(now + 300), refresh_token: 'r1', token_type: 'DPoP' } });
  for (const method of ['patch', 'PATCH', 'post', 'Delete', 'propfind', 'get']) {
    await session.fetch('https://issuer.test/api/item', { method });
    const { method: wire, proof } = sent.at(-1);
    assert.equal(jose.decodeJwt(proof).htm, wire, `${method} is sent as ${wire}`);
  }
  assert.deepEqual(sent.map((s) => s.method), ['patch', 'PATCH', 'POST', 'DELETE', 'propfind', 'GET']);
});

test('every proof DpopKey makes passes the core\'s verifyRequest (the JS proof and the core cannot drift)', async () => {
  const issuer = await jose.generateKeyPair('EdDSA', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(issuer.publicKey)), kid: 'i1', alg: 'EdDSA' }] };
  const verifier = new pkg.Verifier(jwks, { issuer: 'https://issuer.test' });
  let checked = 0;
  for (const algorithm of ['ES256', 'EdDSA']) {
    const key = await pkg.DpopKey.load({ indexedDB: null, name: `drift-${algorithm}`, algorithm });
    const token = await new jose.SignJWT({ cnf: { jkt: key.thumbprint }, client_id: 'spa' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'i1' }).setIssuer('https://issuer.test')
      .setSubject('u').setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m').sign(issuer.privateKey);
    for (const [method, url, nonce] of [['GET', 'https://api.test/orders/42', undefined],
      ['POST', 'https://api.test/orders?x=1#frag', 'n-1'], ['DELETE', 'https://api.test:8443/a%20b/é', undefined],
      ['PATCH', 'http://127.0.0.1:3000/', 'nonce with spaces']]) {
      const proof = await key.proof(method, url, { accessToken: token, nonce });
      const request = new Request(url, { method, headers: { Authorization: `DPoP ${token}`, DPoP: proof } });
      const claims = await verifier.verifyRequest(request);
      assert.equal(claims.cnf.jkt, key.thumbprint, `${algorithm} ${method} ${url}`);
      checked += 1;
    }
    // And a proof without ath is refused for a token: the core reads what the JS wrote.
    const bare = await key.proof('GET', 'https://api.test/x');
    await assert.rejects(verifier.verifyRequest(new Request('https://api.test/x', { headers: { Authorization: `DPoP ${token}`, DPoP: bare } })),
      { code: 'ERR_DPOP_PROOF_INVALID', message: /ath/ });
  }
  assert.equal(checked, 8);
});

test('proof arguments that cannot make a proof get clear errors', async () => {
  const key = await pkg.DpopKey.load({ indexedDB: null, name: 'bad-args' });
  await assert.rejects(key.proof('GET /x', 'https://api.test/'), { code: 'ERR_INVALID_OPTION', message: /HTTP method/ });
  await assert.rejects(key.proof('GET', 'https://api.test/', { now: 1.5 }), { code: 'ERR_INVALID_OPTION', message: /whole seconds/ });
  await assert.rejects(key.proof('GET', '/relative'), { code: 'ERR_INVALID_OPTION', message: /absolute URL/ });
  await assert.rejects(key.proof('GET', 'https://api.test/', { accessToken: 42 }), { code: 'ERR_INVALID_OPTION', message: /accessToken/ });
});
