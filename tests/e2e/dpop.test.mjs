// DPoP (RFC 9449) against a real `wrangler dev`: sessions bound to a key, refreshes with
// proofs, stolen copies refused, the replay of a proof, `cnf.jkt` in tokens and introspection.
// oauth4webapi (a DPoP client no one here wrote) drives the token endpoint, and its resource
// server check (`validateJwtAccessToken` with `requireDPoP`) accepts the tokens and proofs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { startIssuer, startSession, devVars, form, json } from './harness.mjs';

let issuer;
let as;
const service = { id: 'dpop-service', secret: 'dpop-service-secret-0123456789' };
const client = { client_id: 'browser' };
const insecure = { [oauth.allowInsecureRequests]: true };

before(async () => {
  const secrets = devVars();
  const clients = {
    [secrets.clientId]: secrets.clientSecret,
    [service.id]: { secret: service.secret, scopes: ['jobs'], grant_types: ['client_credentials'] },
  };
  secrets.text = secrets.text.replace(/^EDGE_JWT_CLIENTS='.*'$/m, `EDGE_JWT_CLIENTS='${JSON.stringify(clients)}'`);
  issuer = await startIssuer({ secrets, vars: { EDGE_JWT_DEMO_LOGIN: 'true' } });
  const discovery = await oauth.discoveryRequest(new URL(issuer.base), { algorithm: 'oauth2', ...insecure });
  as = await oauth.processDiscoveryResponse(new URL(issuer.base), discovery);
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

/** A browser-like key holder: a non-extractable P-256 key, its thumbprint, oauth4webapi's handle. */
async function keyHolder() {
  const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  const jkt = await jose.calculateJwkThumbprint(jwk);
  return { keyPair, jwk, jkt, handle: oauth.DPoP(client, keyPair) };
}

/** A proof made by hand (jose), for the cases a well-behaved client never sends. */
function proof(holder, { jti = crypto.randomUUID(), htu = `${issuer.base}/token`, htm = 'POST', iat } = {}) {
  const jwt = new jose.SignJWT({ jti, htm, htu })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: { kty: 'EC', crv: 'P-256', x: holder.jwk.x, y: holder.jwk.y } });
  return (iat ? jwt.setIssuedAt(iat) : jwt.setIssuedAt()).sign(holder.keyPair.privateKey);
}

/** `POST /token` with a refresh token and, when given, a DPoP header. */
async function refresh(refreshToken, dpop, headers = {}) {
  const init = form({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const res = await fetch(`${issuer.base}/token`, {
    ...init, headers: { ...init.headers, ...headers, ...(dpop ? { DPoP: dpop } : {}) },
  });
  return { status: res.status, body: await json(res) };
}

/** The refresh through oauth4webapi, as a DPoP client does it. */
async function clientRefresh(holder, refreshToken) {
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, { DPoP: holder.handle, ...insecure });
  return oauth.processRefreshTokenResponse(as, client, response);
}

/** A demo login (its tokens are for the demo resource's own audience), bound to `jkt`. */
async function demoLogin(name, jkt) {
  const res = await fetch(`${issuer.base}/demo/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, dpop_jkt: jkt }),
  });
  assert.equal(res.status, 201);
  return json(res);
}

async function introspect(token) {
  const res = await fetch(`${issuer.base}/introspect`, {
    ...form({ token }), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: issuer.basic },
  });
  return json(res);
}

/** The Request oauth4webapi sends to a resource for `token` with `holder`'s proof (not sent). */
async function resourceRequest(token, holder, url) {
  let captured;
  await oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, {
    DPoP: holder.handle, ...insecure,
    [oauth.customFetch]: async (input, init) => {
      captured = new Request(input, init);
      return Response.json({});
    },
  });
  return captured;
}

test('metadata lists the DPoP signing algorithms', () => {
  assert.deepEqual(as.dpop_signing_alg_values_supported, ['EdDSA', 'ES256']);
});

test('a session started with dpop_jkt is bound: DPoP pairs with cnf.jkt, refreshed by oauth4webapi with its key', async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'alice', dpop_jkt: holder.jkt });
  assert.equal(first.token_type, 'DPoP');
  assert.equal(jose.decodeJwt(first.access_token).cnf.jkt, holder.jkt);
  const second = await clientRefresh(holder, first.refresh_token);
  assert.equal(second.token_type, 'dpop', 'oauth4webapi lower-cases the token type');
  assert.equal(jose.decodeJwt(second.access_token).cnf.jkt, holder.jkt);
  const third = await clientRefresh(holder, second.refresh_token);
  assert.notEqual(third.refresh_token, second.refresh_token);
});

test('a bound session refuses a refresh with another key, or with no proof, and stays usable', async () => {
  const holder = await keyHolder();
  const thief = await keyHolder();
  const first = await startSession(issuer, { sub: 'bob', dpop_jkt: holder.jkt });
  const noProof = await refresh(first.refresh_token);
  assert.equal(noProof.status, 400);
  assert.equal(noProof.body.error, 'invalid_dpop_proof');
  assert.match(noProof.body.error_description, /bound to a key/);
  const otherKey = await refresh(first.refresh_token, await proof(thief));
  assert.deepEqual([otherKey.status, otherKey.body.error, otherKey.body.code], [400, 'invalid_dpop_proof', 'ERR_DPOP_BINDING_MISMATCH']);
  // Neither consumed the token nor ended the session.
  const next = await clientRefresh(holder, first.refresh_token);
  assert.equal(next.token_type, 'dpop');
});

test('a refresh token copied out of the page, without the key, is useless even after its owner rotated', async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'carol', dpop_jkt: holder.jkt });
  const stolen = first.refresh_token;
  const second = await clientRefresh(holder, first.refresh_token);
  for (const attempt of [await refresh(stolen), await refresh(stolen, await proof(await keyHolder()))]) {
    assert.equal(attempt.status, 400);
    assert.equal(attempt.body.error, 'invalid_dpop_proof');
  }
  // The thief's attempts did not end the session for its owner.
  assert.equal((await clientRefresh(holder, second.refresh_token)).token_type, 'dpop');
});

test('an unbound public session binds to the key of its first proof', async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'dave' });
  assert.equal(first.token_type, 'Bearer');
  assert.equal(jose.decodeJwt(first.access_token).cnf, undefined);
  const second = await clientRefresh(holder, first.refresh_token);
  assert.equal(jose.decodeJwt(second.access_token).cnf.jkt, holder.jkt);
  const unproven = await refresh(second.refresh_token);
  assert.deepEqual([unproven.status, unproven.body.error], [400, 'invalid_dpop_proof']);
  const other = await refresh(second.refresh_token, await proof(await keyHolder()));
  assert.equal(other.body.code, 'ERR_DPOP_BINDING_MISMATCH');
});

test('a thief who binds an unbound session first with his key is ended when its owner refreshes, and her Session ends', async () => {
  const { installPackage, importFrom } = await import('../npm/install.mjs');
  const pkg = await importFrom(installPackage());
  const tokens = await startSession(issuer, { sub: 'nina' });
  // The thief, with a copy of the refresh token, refreshes first with his own key.
  const thief = await keyHolder();
  const stolen = await clientRefresh(thief, tokens.refresh_token);
  assert.equal(jose.decodeJwt(stolen.access_token).cnf.jkt, thief.jkt);
  // The owner's Session refreshes with her key: reuse, and her session ends.
  const key = await pkg.DpopKey.load({ indexedDB: null, name: 'e2e-owner' });
  const session = new pkg.Session({ issuer: issuer.base, tokens, dpop: key, now: () => Math.floor(Date.now() / 1000) + 290 });
  let ended;
  session.addEventListener('end', (e) => { ended = e.reason; });
  await assert.rejects(session.accessToken(), { error: 'invalid_grant', code: 'ERR_REFRESH_TOKEN_REUSED' });
  assert.equal(ended, 'invalid_grant');
  // The thief's session is over too.
  const after = await refresh(stolen.refresh_token, await proof(thief));
  assert.deepEqual([after.status, after.body.error, after.body.code], [400, 'invalid_grant', 'ERR_JWT_REVOKED']);
  await pkg.DpopKey.remove({ indexedDB: null, name: 'e2e-owner' });
});

test('a proof is used once: replaying its jti fails', async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'erin', dpop_jkt: holder.jkt });
  const once = await proof(holder);
  const ok = await refresh(first.refresh_token, once);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const replay = await refresh(ok.body.refresh_token, once);
  assert.deepEqual([replay.status, replay.body.error, replay.body.code], [400, 'invalid_dpop_proof', 'ERR_DPOP_REPLAYED']);
  // Same jti, freshly signed: still the same jti, still a replay.
  const again = await refresh(ok.body.refresh_token, await proof(holder, { jti: jose.decodeJwt(once).jti }));
  assert.equal(again.body.code, 'ERR_DPOP_REPLAYED');
});

test('a proof for another URL, another method, or too old is refused', async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'frank', dpop_jkt: holder.jkt });
  for (const [options, why] of [
    [{ htu: `${issuer.base}/revoke` }, /htu/],
    [{ htm: 'GET' }, /htm/],
    [{ iat: Math.floor(Date.now() / 1000) - 600 }, /iat/],
  ]) {
    const answer = await refresh(first.refresh_token, await proof(holder, options));
    assert.equal(answer.status, 400, JSON.stringify(options));
    assert.equal(answer.body.error, 'invalid_dpop_proof');
    assert.match(answer.body.error_description, why);
  }
  const two = await refresh(first.refresh_token, `${await proof(holder)}, ${await proof(holder)}`);
  assert.match(two.body.error_description, /more than one DPoP header/);
});

test('introspection returns cnf and the DPoP token type, for access and refresh tokens', async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'grace', dpop_jkt: holder.jkt });
  const access = await introspect(first.access_token);
  assert.equal(access.active, true);
  assert.equal(access.token_type, 'DPoP');
  assert.deepEqual(access.cnf, { jkt: holder.jkt });
  const refreshToken = await introspect(first.refresh_token);
  assert.equal(refreshToken.active, true);
  assert.deepEqual(refreshToken.cnf, { jkt: holder.jkt });
  // Revoking a bound token works as for any other.
  assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: first.access_token }))).status, 200);
  assert.deepEqual(await introspect(first.access_token), { active: false });
});

test("oauth4webapi's resource server check (requireDPoP) accepts the issuer's bound tokens and proofs", async () => {
  const holder = await keyHolder();
  const first = await startSession(issuer, { sub: 'heidi', dpop_jkt: holder.jkt });
  const tokens = await clientRefresh(holder, first.refresh_token);
  const request = await resourceRequest(tokens.access_token, holder, `${issuer.base}/api/orders`);
  const claims = await oauth.validateJwtAccessToken(as, request, `${issuer.base}/api`, { requireDPoP: true, ...insecure });
  assert.equal(claims.sub, 'heidi');
  assert.equal(claims.cnf.jkt, holder.jkt);
  // And it refuses the same token with a thief's proof.
  const stolen = await resourceRequest(tokens.access_token, await keyHolder(), `${issuer.base}/api/orders`);
  await assert.rejects(oauth.validateJwtAccessToken(as, stolen, `${issuer.base}/api`, { requireDPoP: true, ...insecure }));
});

test('the demo resource takes a bound token with its proof, and refuses it as Bearer with a DPoP challenge', async () => {
  const holder = await keyHolder();
  const tokens = await demoLogin('ivan', holder.jkt);
  const request = await resourceRequest(tokens.access_token, holder, `${issuer.base}/demo/me`);
  const ok = await fetch(request);
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).cnf.jkt, holder.jkt);
  const replayed = await fetch(await resourceRequest(tokens.access_token, holder, `${issuer.base}/demo/me`).then((r) => {
    // The very same proof again.
    return new Request(r.url, { headers: { authorization: r.headers.get('authorization'), dpop: request.headers.get('dpop') } });
  }));
  assert.equal(replayed.status, 401);
  assert.equal((await replayed.json()).error, 'invalid_dpop_proof');
  const asBearer = await fetch(`${issuer.base}/demo/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate'), /^DPoP error="invalid_dpop_proof"/);
  assert.match((await asBearer.json()).error_description, /DPoP scheme/);
});

test('a client credentials grant with a proof gets a DPoP-bound token', async () => {
  const holder = await keyHolder();
  const response = await oauth.clientCredentialsGrantRequest(as, { client_id: service.id }, oauth.ClientSecretBasic(service.secret), { scope: 'jobs' }, { DPoP: holder.handle, ...insecure });
  const tokens = await oauth.processClientCredentialsResponse(as, { client_id: service.id }, response);
  assert.equal(tokens.token_type, 'dpop');
  assert.equal(jose.decodeJwt(tokens.access_token).cnf.jkt, holder.jkt);
});

test('/sessions refuses a dpop_jkt that is not a thumbprint', async () => {
  const res = await fetch(`${issuer.base}/sessions`, {
    method: 'POST', headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sub: 'judy', dpop_jkt: 'not-a-thumbprint' }),
  });
  assert.equal(res.status, 400);
  const body = await json(res);
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /dpop_jkt/);
});

test("the package's Session with a DpopKey refreshes with proofs, calls the resource with DPoP, and retries with a nonce", async () => {
  const { installPackage, importFrom } = await import('../npm/install.mjs');
  const pkg = await importFrom(installPackage());
  const key = await pkg.DpopKey.load({ indexedDB: null, name: 'e2e-session' });
  assert.equal(key.thumbprint, (await pkg.DpopKey.load({ indexedDB: null, name: 'e2e-session' })).thumbprint, 'one key per name');
  const tokens = await demoLogin('kate', key.thumbprint);
  // A server that asks for a nonce first (RFC 9449 §8), in front of the real issuer: the
  // session must retry once, with the nonce in its proof.
  const proofs = [];
  let asked = false;
  const fetchWithNonce = async (input, init = {}) => {
    const dpop = new Headers(init.headers).get('DPoP');
    if (dpop) proofs.push(jose.decodeJwt(dpop));
    if (String(input).endsWith('/token') && !asked) {
      asked = true;
      return Response.json({ error: 'use_dpop_nonce', error_description: 'nonce required' },
        { status: 400, headers: { 'DPoP-Nonce': 'n-1' } });
    }
    return fetch(input, init);
  };
  const session = new pkg.Session({ issuer: issuer.base, tokens, dpop: key, fetch: fetchWithNonce,
    now: () => Math.floor(Date.now() / 1000) + 290 });
  assert.equal(session.tokens.token_type, 'DPoP');
  const access = await session.accessToken();
  assert.notEqual(access, tokens.access_token);
  assert.equal(jose.decodeJwt(access).cnf.jkt, key.thumbprint);
  assert.deepEqual(proofs.map((p) => [p.htm, p.htu, p.nonce]),
    [['POST', `${issuer.base}/token`, undefined], ['POST', `${issuer.base}/token`, 'n-1']]);
  const res = await session.fetch(`${issuer.base}/demo/me?x=1`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).cnf.jkt, key.thumbprint);
  // (The clock 290 s ahead makes every call refresh first: the token sent is the latest.)
  const last = proofs.at(-1);
  const sent = session.tokens.access_token;
  assert.equal(last.htu, `${issuer.base}/demo/me`, 'htu has no query');
  assert.equal(last.ath, jose.base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sent)))));
  await pkg.DpopKey.remove({ indexedDB: null, name: 'e2e-session' });
  assert.notEqual((await pkg.DpopKey.load({ indexedDB: null, name: 'e2e-session' })).thumbprint, key.thumbprint);
});
