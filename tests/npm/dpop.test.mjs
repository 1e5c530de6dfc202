// verifyRequest as a resource server (RFC 9449 §7): DPoP-bound tokens signed by jose, with
// proofs made by oauth4webapi (a DPoP client no one here wrote), through the installed package.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installPackage, importFrom } from './install.mjs';

const ISS = 'https://issuer.test';
const API = 'https://api.test/orders/42';
let pkg;
let pkgDir;
let issuerKey;
let jwks;

before(async () => {
  pkgDir = installPackage();
  pkg = await importFrom(pkgDir);
  const pair = await jose.generateKeyPair('EdDSA', { extractable: true });
  issuerKey = pair.privateKey;
  jwks = { keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: 'issuer-1', alg: 'EdDSA' }] };
});

/** A browser-like client: a non-extractable ES256 key, and oauth4webapi's DPoP handle for it. */
async function client() {
  const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jkt = await jose.calculateJwkThumbprint(await crypto.subtle.exportKey('jwk', keyPair.publicKey));
  return { keyPair, jkt, dpop: oauth.DPoP({}, keyPair) };
}

/** An access token from the issuer, bound to `jkt` when given. */
function accessToken(jkt, claims = {}) {
  return new jose.SignJWT({ client_id: 'spa', ...(jkt ? { cnf: { jkt } } : {}), ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'issuer-1' })
    .setIssuer(ISS).setSubject('user-1').setJti(claims.jti ?? crypto.randomUUID()).setIssuedAt().setExpirationTime('5m')
    .sign(issuerKey);
}

/** The Request oauth4webapi sends for `token` with `dpop` (captured, never sent). */
async function requestFrom(token, dpop, { method = 'GET', url = API } = {}) {
  let captured;
  await oauth.protectedResourceRequest(token, method, new URL(url), new Headers(), null, {
    DPoP: dpop,
    [oauth.customFetch]: async (input, init) => {
      captured = new Request(input, init);
      return Response.json({});
    },
  });
  return captured;
}

const verifier = () => new pkg.Verifier(jwks, { issuer: ISS });

test('a bound token with an oauth4webapi proof is accepted, and its binding is the proof key', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const request = await requestFrom(token, c.dpop);
  assert.match(request.headers.get('authorization'), /^DPoP /);
  const claims = await verifier().verifyRequest(request);
  assert.equal(claims.sub, 'user-1');
  assert.equal(claims.cnf.jkt, c.jkt);
});

test('verify, verifyAsync and a remote verifier refuse a bound token without its proof, unless allowed', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const refused = { code: 'ERR_DPOP_PROOF_INVALID', message: /verifyRequest/ };
  assert.throws(() => verifier().verify(token), refused);
  await assert.rejects(verifier().verifyAsync(token), refused);
  const remote = pkg.Verifier.fromRemote(new pkg.RemoteJwks('https://issuer.test/jwks', {
    fetch: async () => Response.json(jwks),
  }), { issuer: ISS });
  await assert.rejects(remote.verify(token), refused);
  // A forged bound token still fails on its signature.
  const forged = `${token.slice(0, -6)}AAAAAA`;
  assert.throws(() => verifier().verify(forged), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  // The opt-in, for a caller that checks the binding itself; unbound tokens are unaffected.
  const allowed = new pkg.Verifier(jwks, { issuer: ISS, allowBoundTokens: true });
  assert.equal(allowed.verify(token).cnf.jkt, c.jkt);
  assert.equal((await allowed.verifyAsync(token)).cnf.jkt, c.jkt);
  assert.equal(verifier().verify(await accessToken()).sub, 'user-1');
  assert.throws(() => new pkg.Verifier(jwks, { allowBoundTokens: 'yes' }), { code: 'ERR_INVALID_OPTION' });
});

test('the wasm jobs: the arrays the core hands the host unpack into the fields jobs.mjs names', async () => {
  // The package's internals, as its modules see them (node.mjs instantiates the wasm).
  const internal = (name) => import(pathToFileURL(join(pkgDir, 'node_modules', 'edge-jwt', name)).href);
  await internal('node.mjs');
  const [wasm, jobs] = [await internal('edge_jwt.js'), await internal('jobs.mjs')];
  const c = await client();
  const esKey = await jose.generateKeyPair('ES256', { extractable: true });
  const esJwks = { keys: [{ ...(await jose.exportJWK(esKey.publicKey)), kid: 'es-1', alg: 'ES256' }] };
  const token = await new jose.SignJWT({ client_id: 'spa', cnf: { jkt: c.jkt } })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'es-1' })
    .setIssuer(ISS).setSubject('user-1').setJti('j-1').setIssuedAt().setExpirationTime('5m').sign(esKey.privateKey);
  const inner = new wasm.WasmVerifier(JSON.stringify(esJwks), { issuer: ISS, allowBoundTokens: true });
  const now = Math.floor(Date.now() / 1000);
  const [head, body, sig] = token.split('.');
  const job = jobs.signatureJob(inner.signatureJob(new TextEncoder().encode(token), now));
  assert.equal(job.alg, 'ES256');
  assert.deepEqual([...job.keys], [0]);
  assert.equal(new TextDecoder().decode(job.input), `${head}.${body}`);
  assert.deepEqual(Buffer.from(job.signature), Buffer.from(sig, 'base64url'));
  assert.equal(JSON.parse(job.claims).sub, 'user-1');
  assert.equal(job.error, undefined);
  assert.equal(job.valid, undefined, 'an ES256 signature is the host\'s to check');
  // An HMAC is decided in the core, in the same call: verifyAsync never runs the core twice.
  const secret = new Uint8Array(32).fill(7);
  const hsToken = await new jose.SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .setIssuer(ISS).setSubject('user-1').setIssuedAt().setExpirationTime('5m').sign(secret);
  const hs = new wasm.WasmVerifier(JSON.stringify({ kty: 'oct', k: jose.base64url.encode(secret), alg: 'HS256' }), { issuer: ISS, algorithms: ['HS256'] });
  const bytes = (text) => new TextEncoder().encode(text);
  const hsJob = jobs.signatureJob(hs.signatureJob(bytes(hsToken), now));
  assert.deepEqual([hsJob.alg, hsJob.valid, JSON.parse(hsJob.claims).sub], ['HS256', true, 'user-1']);
  const forged = `${hsToken.slice(0, hsToken.lastIndexOf('.'))}.${'A'.repeat(43)}`;
  assert.equal(jobs.signatureJob(hs.signatureJob(bytes(forged), now)).valid, false);
  hs.free();
  const request = await requestFrom(token, c.dpop);
  const check = inner.requestJob(request.headers.get('authorization'), request.headers.get('dpop'), 'GET', API, now);
  try {
    assert.deepEqual(jobs.signature(check.token), { alg: job.alg, keys: job.keys, input: job.input, signature: job.signature });
    const proof = jobs.proof(check.proof);
    const proofJwt = request.headers.get('dpop');
    const [proofHead, proofBody, proofSig] = proofJwt.split('.');
    const { jwk } = jose.decodeProtectedHeader(proofJwt);
    const { jti, iat } = jose.decodeJwt(proofJwt);
    assert.deepEqual([proof.alg, proof.x, proof.y], ['ES256', jwk.x, jwk.y]);
    assert.equal(new TextDecoder().decode(proof.input), `${proofHead}.${proofBody}`);
    assert.deepEqual(Buffer.from(proof.signature), Buffer.from(proofSig, 'base64url'));
    assert.equal(proof.jti, jti);
    assert.ok(proof.until >= iat + 60, `until ${proof.until}, iat ${iat}`);
  } finally {
    check.free();
  }
});

test('the same request twice is a replay', async () => {
  const c = await client();
  const v = verifier();
  const request = await requestFrom(await accessToken(c.jkt), c.dpop);
  await v.verifyRequest(request.clone());
  await assert.rejects(v.verifyRequest(request), { code: 'ERR_DPOP_REPLAYED' });
});

test('a bound token sent as Bearer, or without a proof, is refused (downgrade)', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const asBearer = new Request(API, { headers: { authorization: `Bearer ${token}` } });
  await assert.rejects(verifier().verifyRequest(asBearer), { code: 'ERR_DPOP_PROOF_INVALID', message: /DPoP scheme/ });
  const noProof = new Request(API, { headers: { authorization: `DPoP ${token}` } });
  await assert.rejects(verifier().verifyRequest(noProof), { code: 'ERR_DPOP_PROOF_INVALID', message: /header is missing/ });
});

test('a stolen token with the thief\'s own proof fails the binding', async () => {
  const victim = await client();
  const thief = await client();
  const stolen = await accessToken(victim.jkt);
  const request = await requestFrom(stolen, thief.dpop);
  await assert.rejects(verifier().verifyRequest(request), { code: 'ERR_DPOP_BINDING_MISMATCH' });
});

test('a proof for another method, another URL or another token is refused', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const post = await requestFrom(token, c.dpop, { method: 'POST' });
  const asGet = new Request(API, { headers: post.headers });
  await assert.rejects(verifier().verifyRequest(asGet), { code: 'ERR_DPOP_PROOF_INVALID', message: /htm/ });
  const elsewhere = await requestFrom(token, c.dpop, { url: 'https://api.test/orders/43' });
  await assert.rejects(verifier().verifyRequest(new Request(API, { headers: elsewhere.headers })),
    { code: 'ERR_DPOP_PROOF_INVALID', message: /htu/ });
  // The proof's ath is the hash of the token it came with, not of another token of the key.
  const other = await requestFrom(await accessToken(c.jkt), c.dpop);
  const swapped = new Headers(other.headers);
  swapped.set('authorization', `DPoP ${token}`);
  await assert.rejects(verifier().verifyRequest(new Request(API, { headers: swapped })),
    { code: 'ERR_DPOP_PROOF_INVALID', message: /ath/ });
  // The request's query is not part of htu.
  const withQuery = await requestFrom(token, c.dpop, { url: `${API}?expand=items` });
  assert.equal((await verifier().verifyRequest(withQuery)).sub, 'user-1');
});

test('an unbound token is a Bearer token: accepted as Bearer, refused with the DPoP scheme', async () => {
  const token = await accessToken(undefined);
  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    const request = new Request(API, { headers: { authorization: `${scheme} ${token}` } });
    assert.equal((await verifier().verifyRequest(request)).sub, 'user-1');
  }
  const c = await client();
  const request = await requestFrom(token, c.dpop);
  await assert.rejects(verifier().verifyRequest(request), { code: 'ERR_DPOP_PROOF_INVALID', message: /not bound/ });
});

test('bad requests get clear errors', async () => {
  await assert.rejects(verifier().verifyRequest({}), { code: 'ERR_INVALID_OPTION' });
  await assert.rejects(verifier().verifyRequest(new Request(API)), { code: 'ERR_JWS_INVALID', message: /Authorization/ });
  const huge = new Request(API, { headers: { authorization: `Bearer ${'a'.repeat(100_000)}` } });
  await assert.rejects(verifier().verifyRequest(huge), { code: 'ERR_JWS_INVALID' });
  const basic = new Request(API, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
  await assert.rejects(verifier().verifyRequest(basic), { code: 'ERR_JWS_INVALID' });
});

test('with kv, the revocation list is checked after the proof', async () => {
  const c = await client();
  const jti = crypto.randomUUID();
  const token = await accessToken(c.jkt, { jti, sid: 's1' });
  const kv = (entries) => ({ get: async (key) => entries[key] ?? null });
  const v = verifier();
  assert.equal((await v.verifyRequest(await requestFrom(token, c.dpop), { kv: kv({}) })).jti, jti);
  await assert.rejects(v.verifyRequest(await requestFrom(token, c.dpop), { kv: kv({ [`revoked:jti:${jti}`]: '1' }) }),
    { code: 'ERR_JWT_REVOKED' });
  await assert.rejects(v.verifyRequest(await requestFrom(token, c.dpop), { kv: {} }), { code: 'ERR_INVALID_OPTION' });
  // The proof is checked first: a replayed request is refused before any KV read.
  const request = await requestFrom(token, c.dpop);
  await v.verifyRequest(request.clone(), { kv: kv({}) });
  let reads = 0;
  await assert.rejects(v.verifyRequest(request, { kv: { get: async () => { reads += 1; return null; } } }), { code: 'ERR_DPOP_REPLAYED' });
  assert.equal(reads, 0);
});

test('signatures through WebCrypto fail as they do in wasm: a tampered proof, a tampered ES256 token', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const request = await requestFrom(token, c.dpop);
  const proof = request.headers.get('dpop');
  // The last signature character changed: still 64 bytes, no longer the key's signature.
  const last = proof.at(-2) === 'A' ? 'B' : 'A';
  const tampered = new Headers(request.headers);
  tampered.set('dpop', `${proof.slice(0, -2)}${last}${proof.at(-1)}`);
  await assert.rejects(verifier().verifyRequest(new Request(API, { headers: tampered })),
    { code: 'ERR_DPOP_PROOF_INVALID', message: /signature/ });
  // An ES256 issuer key: the token's signature also goes to WebCrypto.
  const es = await jose.generateKeyPair('ES256', { extractable: true });
  const esJwks = { keys: [{ ...(await jose.exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256' }] };
  const esToken = await new jose.SignJWT({ client_id: 'spa', cnf: { jkt: c.jkt } })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'es-1' })
    .setIssuer(ISS).setSubject('user-2').setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m')
    .sign(es.privateKey);
  const esVerifier = new pkg.Verifier(esJwks, { issuer: ISS });
  assert.equal((await esVerifier.verifyRequest(await requestFrom(esToken, c.dpop))).sub, 'user-2');
  const badToken = `${esToken.slice(0, -2)}${esToken.at(-2) === 'A' ? 'B' : 'A'}${esToken.at(-1)}`;
  await assert.rejects(esVerifier.verifyRequest(await requestFrom(badToken, c.dpop)),
    { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
});

test('verifyNotRevoked takes Bearer tokens only: a bound token needs its proof, so verifyRequest', async () => {
  const c = await client();
  const kv = { get: async () => null };
  await assert.rejects(verifier().verifyNotRevoked(await accessToken(c.jkt, { sid: 's1' }), kv),
    { code: 'ERR_DPOP_PROOF_INVALID', message: /bound to a key/ });
  assert.equal((await verifier().verifyNotRevoked(await accessToken(undefined, { sid: 's1' }), kv)).sub, 'user-1');
});

test('a replay store shared by two verifiers (two isolates) catches a proof replayed to the other', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const used = new Map();
  const replay = { use: async (jti, until) => !used.has(jti) && Boolean(used.set(jti, until)) };
  const [isolateA, isolateB] = [verifier(), verifier()];
  const request = await requestFrom(token, c.dpop);
  await isolateA.verifyRequest(request.clone(), { replay });
  const [[jti, until]] = used;
  const proof = jose.decodeJwt(request.headers.get('dpop'));
  assert.deepEqual([jti, until], [proof.jti, proof.iat + 60]);
  await assert.rejects(isolateB.verifyRequest(request.clone(), { replay }), { code: 'ERR_DPOP_REPLAYED' });
  // Without the shared store, the other isolate cannot know.
  assert.equal((await verifier().verifyRequest(request.clone())).sub, 'user-1');
  // Bearer tokens have no proof: the store is not asked.
  const bearer = new Request(API, { headers: { authorization: `Bearer ${await accessToken(undefined)}` } });
  await isolateB.verifyRequest(bearer, { replay });
  assert.equal(used.size, 1);
  await assert.rejects(isolateB.verifyRequest(bearer, { replay: {} }), { code: 'ERR_INVALID_OPTION' });
});

test('behind a proxy, origin is the public origin the proofs name (the request arrives under another)', async () => {
  const c = await client();
  const token = await accessToken(c.jkt);
  const sent = await requestFrom(token, c.dpop, { url: 'https://api.test/orders/42?x=1' });
  // What a local adapter or a proxy hands the resource: the same path and query, another origin.
  const proxied = () => new Request('http://127.0.0.1:3000/orders/42?x=1', { headers: sent.headers });
  const refused = await verifier().verifyRequest(proxied()).catch((e) => e);
  assert.equal(refused.code, 'ERR_DPOP_PROOF_INVALID');
  assert.match(refused.message, /htu/);
  const claims = await verifier().verifyRequest(proxied(), { origin: 'https://api.test' });
  assert.equal(claims.cnf.jkt, c.jkt);
  // Another path is still another URL.
  const elsewhere = new Request('http://127.0.0.1:3000/orders/43', { headers: sent.headers });
  assert.equal((await verifier().verifyRequest(elsewhere, { origin: 'https://api.test' }).catch((e) => e)).code, 'ERR_DPOP_PROOF_INVALID');
  for (const bad of ['api.test', 'https://api.test/orders', 'ftp://api.test', 'https://api.test/?a=1', 42]) {
    const e = await verifier().verifyRequest(proxied(), { origin: bad }).catch((error) => error);
    assert.equal(e.code, 'ERR_INVALID_OPTION', String(bad));
    assert.match(e.message, /origin must be the public origin the resource is served at/);
  }
});
