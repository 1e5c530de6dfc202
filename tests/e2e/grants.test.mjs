// The client credentials grant (RFC 6749 §4.4) against a real `wrangler dev`, with jose as an
// independent verifier of what it issues.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startIssuer, startSession, devVars, form, json } from './harness.mjs';

let issuer;
const service = { id: 'reporting-service', secret: 'reporting-service-secret-0123' };

before(async () => {
  const secrets = devVars();
  const clients = {
    [secrets.clientId]: secrets.clientSecret,
    [service.id]: { secret: service.secret, scopes: ['reports:read', 'reports:write'], grant_types: ['client_credentials'] },
  };
  secrets.text = secrets.text.replace(/^EDGE_JWT_CLIENTS='.*'$/m, `EDGE_JWT_CLIENTS='${JSON.stringify(clients)}'`);
  issuer = await startIssuer({ secrets });
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function clientCredentials(params, authorization) {
  const init = form({ grant_type: 'client_credentials', ...params });
  const headers = authorization ? { ...init.headers, Authorization: authorization } : init.headers;
  const res = await fetch(`${issuer.base}/token`, { ...init, headers });
  return { status: res.status, body: await json(res), headers: res.headers };
}

test('a client with the grant gets an access token for itself, with the scopes it asked for', async () => {
  const answer = await clientCredentials({ scope: 'reports:read' }, basic(service.id, service.secret));
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.token_type, 'Bearer');
  assert.equal(answer.body.scope, 'reports:read');
  assert.equal(answer.body.refresh_token, undefined, 'no refresh token (RFC 6749 §4.4.3)');
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  const jwks = createRemoteJWKSet(new URL(`${issuer.base}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(answer.body.access_token, jwks, {
    issuer: issuer.base, audience: `${issuer.base}/api`, typ: 'at+jwt', algorithms: ['EdDSA'],
  });
  assert.equal(payload.sub, service.id);
  assert.equal(payload.client_id, service.id);
  assert.equal(payload.scope, 'reports:read');
  // Without a scope, all the client may have; the token introspects active, and revokes.
  const all = await clientCredentials({}, basic(service.id, service.secret));
  assert.equal(all.body.scope, 'reports:read reports:write');
  const introspect = (token) => fetch(`${issuer.base}/introspect`, { ...form({ token }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: issuer.basic } }).then(json);
  assert.equal((await introspect(all.body.access_token)).active, true);
  assert.equal((await fetch(`${issuer.base}/revoke`, form({ token: all.body.access_token }))).status, 200);
  assert.deepEqual(await introspect(all.body.access_token), { active: false });
});

test('bad credentials, a scope not allowed, and a client without the grant are refused', async () => {
  const none = await clientCredentials({});
  assert.equal(none.status, 401);
  assert.equal(none.body.error, 'invalid_client');
  const wrong = await clientCredentials({}, basic(service.id, 'wrong-secret-0123456789'));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error, 'invalid_client');
  assert.match(wrong.headers.get('www-authenticate'), /^Basic /);
  const scope = await clientCredentials({ scope: 'reports:read admin' }, basic(service.id, service.secret));
  assert.equal(scope.status, 400);
  assert.equal(scope.body.error, 'invalid_scope');
  assert.match(scope.body.error_description, /admin/);
  const ungranted = await clientCredentials({}, issuer.basic);
  assert.equal(ungranted.status, 400);
  assert.equal(ungranted.body.error, 'unauthorized_client');
});

test('a service configured for its own tokens cannot act for users; the plain-string back end can', async () => {
  const service$ = basic(service.id, service.secret);
  const post = (path, body) => fetch(`${issuer.base}${path}`, {
    method: 'POST', headers: { Authorization: service$, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const minted = await post('/sessions', { sub: 'alice', claims: { role: 'admin' } });
  assert.equal(minted.status, 403);
  assert.equal((await json(minted)).error, 'unauthorized_client');
  const victim = await startSession(issuer, { sub: 'alice' });
  const listed = await fetch(`${issuer.base}/subjects/alice/sessions`, { headers: { Authorization: service$ } });
  assert.equal(listed.status, 403);
  assert.equal((await post('/subjects/alice/revoke', {})).status, 403);
  // The session lives on, and the back end still administers it.
  const refreshed = await fetch(`${issuer.base}/token`, form({ grant_type: 'refresh_token', refresh_token: victim.refresh_token }));
  assert.equal(refreshed.status, 200);
  const own = await fetch(`${issuer.base}/subjects/alice/sessions`, { headers: { Authorization: issuer.basic } }).then(json);
  assert.equal(own.sessions.length, 1);
});

test('the metadata lists the grant', async () => {
  const meta = await json(await fetch(`${issuer.base}/.well-known/oauth-authorization-server`));
  assert.deepEqual(meta.grant_types_supported, ['refresh_token', 'client_credentials']);
});
