// edge-jwt/hono in a real Worker (Hono, under `wrangler dev`) in front of a real issuer (also
// `wrangler dev`): discovery from the issuer's URL, its tokens verified, its revocation list
// read from the same local KV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { startIssuer, startHonoResource, startSession, form } from './harness.mjs';

let issuer;
let api;

before(async () => {
  issuer = await startIssuer();
  api = await startHonoResource(issuer, { name: 'edge-jwt-hono-test', kv: true });
});

after(async () => {
  await api?.stop();
  await issuer?.stop();
  issuer?.cleanup();
});

const me = (authorization) => fetch(`${api.base}/api/me`, { headers: authorization ? { Authorization: authorization } : {} });

/** A token signed with the issuer's own key, with claims of the test's choosing. */
async function forged(claims) {
  const jwk = issuer.secrets.keys.keys[0];
  const key = await jose.importJWK(jwk, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ iss: issuer.base, sub: 'mallory', sid: 's', client_id: 'c', jti: `j-${now}`,
    iat: now - 600, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: jwk.kid })
    .sign(key);
}

test('a token of the issuer passes; its claims are c.get("jwtPayload")', async () => {
  const pair = await startSession(issuer, { sub: 'hono-user', claims: { role: 'reader' } });
  const res = await me(`Bearer ${pair.access_token}`);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.sub, 'hono-user');
  assert.equal(body.claims.role, 'reader');
  // The scheme is case-insensitive (RFC 7235).
  assert.equal((await me(`bearer ${pair.access_token}`)).status, 200);
});

test('expired, wrong audience, revoked through KV: 401 invalid_token with the code', async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = await forged({ aud: `${issuer.base}/api`, exp: now - 120 });
  let res = await me(`Bearer ${expired}`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'ERR_JWT_EXPIRED');
  assert.match(res.headers.get('www-authenticate'), /^Bearer realm="api", error="invalid_token"/);
  res = await me(`Bearer ${await forged({ aud: 'https://another.api' })}`);
  const wrongAudience = await res.json();
  assert.equal(res.status, 401);
  assert.equal(wrongAudience.code, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  const pair = await startSession(issuer, { sub: 'hono-revoked' });
  assert.equal((await me(`Bearer ${pair.access_token}`)).status, 200);
  assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: pair.access_token }))).status, 200);
  res = await me(`Bearer ${pair.access_token}`);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'ERR_JWT_REVOKED');
});

test('no header, or another scheme (Basic): 401 with the bare Bearer challenge', async () => {
  for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'DPoP']) {
    const res = await me(authorization);
    assert.equal(res.status, 401, String(authorization));
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
    assert.equal((await res.json()).error, 'invalid_request');
  }
});

test('DPoP: a bound token with its proof passes; as Bearer, or with a thief\'s proof, 401 with a DPoP challenge', async () => {
  const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const { x, y } = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x, y };
  const pair = await startSession(issuer, { sub: 'hono-dpop', dpop_jkt: await jose.calculateJwkThumbprint(jwk) });
  const proof = async (key = keyPair, publicJwk = jwk) => {
    const ath = jose.base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pair.access_token))));
    return new jose.SignJWT({ jti: crypto.randomUUID(), htm: 'GET', htu: `${api.base}/api/me`, ath })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk }).setIssuedAt().sign(key.privateKey);
  };
  const call = async (authorization, dpop) => fetch(`${api.base}/api/me`, { headers: { Authorization: authorization, ...(dpop ? { DPoP: dpop } : {}) } });
  const ok = await call(`DPoP ${pair.access_token}`, await proof());
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).sub, 'hono-dpop');
  const asBearer = await call(`Bearer ${pair.access_token}`);
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate'), /^DPoP realm="api", error="invalid_dpop_proof"/);
  assert.equal((await asBearer.json()).error, 'invalid_dpop_proof');
  const thief = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const thiefJwk = await crypto.subtle.exportKey('jwk', thief.publicKey);
  const stolen = await call(`DPoP ${pair.access_token}`, await proof(thief, { kty: 'EC', crv: 'P-256', x: thiefJwk.x, y: thiefJwk.y }));
  assert.equal(stolen.status, 401);
  assert.equal((await stolen.json()).code, 'ERR_DPOP_BINDING_MISMATCH');
});

test('a resource says where its tokens come from (RFC 9728): its metadata, and resource_metadata in every 401 challenge', async () => {
  const resource = `${api.base}/mcp`;
  const metadataUrl = `${api.base}/.well-known/oauth-protected-resource/mcp`;
  const metadata = await fetch(metadataUrl).then((r) => r.json());
  assert.deepEqual(metadata, { resource, authorization_servers: [issuer.base], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
  const anonymous = await fetch(resource, { method: 'POST' });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get('www-authenticate'), `Bearer realm="api", scope="mcp:tools", resource_metadata="${metadataUrl}"`);
  // A token for another audience is refused, naming the metadata too.
  const pair = await startSession(issuer, { sub: 'mcp-user' });
  const other = await fetch(resource, { method: 'POST', headers: { Authorization: `Bearer ${pair.access_token}` } });
  assert.equal(other.status, 401);
  assert.match(other.headers.get('www-authenticate'), new RegExp(`error="invalid_token".*resource_metadata="${metadataUrl}"`));
});
