// The MCP authorization requirements, revision by revision (2025-06-18, 2025-11-25, 2026-07-28),
// checked black-box over HTTP against the issuer and a resource behind edge-jwt/hono, both under
// `wrangler dev`. Each test names the revisions whose text requires what it checks, and the rule
// in our words; nothing here knows the issuer's insides. The README's table is this file's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startIssuer, startHonoResource, freePort, form, json } from './harness.mjs';

const LOGIN = 'http://127.0.0.1:9/login';
const REDIRECT = 'http://127.0.0.1:40123/callback';
const ALL = '2025-06-18 2025-11-25 2026-07-28';
const FROM_NOVEMBER = '2025-11-25 2026-07-28';
const JULY = '2026-07-28';
let issuer;
let api;
let resource;
let metadata;

before(async () => {
  const port = await freePort();
  resource = `http://127.0.0.1:${port}/mcp`;
  issuer = await startIssuer({ vars: {
    EDGE_JWT_LOGIN_URL: LOGIN, EDGE_JWT_RESOURCES: JSON.stringify([resource]), EDGE_JWT_REGISTRATION: 'open',
    EDGE_JWT_SCOPES: 'mcp:tools mcp:admin', EDGE_JWT_CLIENT_METADATA_DOCUMENTS: 'loopback',
  } });
  api = await startHonoResource(issuer, { name: 'edge-jwt-mcp-revisions', port });
  metadata = await fetch(`${issuer.base}/.well-known/oauth-authorization-server`).then(json);
});

after(async () => {
  await api?.stop();
  await issuer?.stop();
  issuer?.cleanup();
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

async function register(extra = {}) {
  const res = await fetch(metadata.registration_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', client_name: 'revisions',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], ...extra }) });
  assert.equal(res.status, 201);
  return json(res);
}

function authorizeUrl(clientId, challenge, extra = {}) {
  const url = new URL(metadata.authorization_endpoint);
  const params = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 's1', code_challenge: challenge,
    code_challenge_method: 'S256', scope: 'mcp:tools', resource, ...extra };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** The browser at /authorize and the login app accepting: the redirect back to the client. */
async function authorize(clientId, challenge, extra = {}) {
  const res = await fetch(authorizeUrl(clientId, challenge, extra), { redirect: 'manual' });
  assert.equal(res.status, 302, await res.text());
  const loginChallenge = new URL(res.headers.get('location')).searchParams.get('login_challenge');
  const accepted = await fetch(`${issuer.base}/authorizations/${loginChallenge}/accept`, { method: 'POST',
    headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' }, body: JSON.stringify({ sub: 'rev-user' }) });
  return new URL((await json(accepted)).redirect_to);
}

async function tokensFor(extra = {}) {
  const client = await register();
  const { verifier, challenge } = pkce();
  const back = await authorize(client.client_id, challenge, extra);
  const res = await fetch(metadata.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: back.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: verifier, resource }));
  assert.equal(res.status, 200);
  return { client, tokens: await json(res) };
}

const callMcp = (token, path = '/mcp', init = {}) => fetch(`${api.base}${path}`,
  { method: 'POST', ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...init.headers } });

test(`[${ALL}] the authorization server publishes RFC 8414 metadata: its issuer, endpoints, code flow and S256`, () => {
  assert.equal(metadata.issuer, issuer.base);
  for (const key of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri']) {
    assert.ok(metadata[key]?.startsWith(issuer.base), key);
  }
  assert.deepEqual(metadata.response_types_supported, ['code']);
  assert.ok(metadata.grant_types_supported.includes('authorization_code'));
  assert.ok(metadata.grant_types_supported.includes('refresh_token'));
  // 2025-11-25 on: a client refuses an authorization server that does not list S256.
  assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
});

test(`[${ALL}] the resource publishes RFC 9728 metadata naming its authorization server, at the path-inserted well-known URL`, async () => {
  const prm = await fetch(`${api.base}/.well-known/oauth-protected-resource/mcp`).then(json);
  assert.equal(prm.resource, resource);
  assert.deepEqual(prm.authorization_servers, [issuer.base]);
  // 2026-07-28: offline_access is the authorization server's, never in a resource's metadata.
  assert.ok(!prm.scopes_supported.includes('offline_access'));
});

test(`[${ALL}] a request without a token is 401 with a WWW-Authenticate challenge naming the resource metadata (and, ${FROM_NOVEMBER}, the scope)`, async () => {
  const res = await callMcp();
  assert.equal(res.status, 401);
  const challenge = res.headers.get('www-authenticate');
  assert.match(challenge, /^Bearer /);
  assert.match(challenge, /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
  assert.match(challenge, /scope="mcp:tools"/);
});

test(`[${ALL}] OAuth 2.1: PKCE is required (S256 only), redirect URIs match exactly, and an unknown client is never redirected`, async () => {
  const client = await register();
  const { challenge } = pkce();
  for (const [extra, expected] of [[{ code_challenge: undefined }, 'invalid_request'], [{ code_challenge_method: 'plain' }, 'invalid_request']]) {
    const url = authorizeUrl(client.client_id, challenge);
    for (const [k, v] of Object.entries(extra)) if (v === undefined) url.searchParams.delete(k); else url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.equal((await json(res)).error, expected);
  }
  const otherRedirect = await fetch(authorizeUrl(client.client_id, challenge, { redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
  assert.equal(otherRedirect.status, 400);
  assert.equal(otherRedirect.headers.get('location'), null);
  const unknown = await fetch(authorizeUrl('no-such-client', challenge), { redirect: 'manual' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.headers.get('location'), null);
});

test(`[${ALL}] a wrong PKCE verifier at the exchange is invalid_grant`, async () => {
  const client = await register();
  const { challenge } = pkce();
  const back = await authorize(client.client_id, challenge);
  const res = await fetch(metadata.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: back.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: pkce().verifier, resource }));
  assert.equal(res.status, 400);
  assert.equal((await json(res)).error, 'invalid_grant');
});

test(`[${JULY}] the authorization response carries iss (RFC 9207), announced in the metadata`, async () => {
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  const client = await register();
  const back = await authorize(client.client_id, pkce().challenge);
  assert.equal(back.searchParams.get('iss'), issuer.base);
  assert.equal(back.searchParams.get('state'), 's1');
});

test(`[${ALL}] resource indicators (RFC 8707): the token is for the resource asked for, which accepts it; another resource's token is refused`, async () => {
  const { tokens } = await tokensFor();
  assert.equal(tokens.resource, resource);
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
  assert.equal(claims.aud, resource);
  assert.equal((await callMcp(tokens.access_token)).status, 200);
  // A token of the same issuer for another audience (its default API): refused, never passed through.
  const client = await register();
  const { verifier, challenge } = pkce();
  const back = await authorize(client.client_id, challenge, { resource: undefined });
  const other = await fetch(metadata.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: back.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: verifier })).then(json);
  const refused = await callMcp(other.access_token);
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate'), /error="invalid_token"/);
  // A resource the issuer does not serve: invalid_target, before anything is asked of the user.
  const unknown = await fetch(authorizeUrl(client.client_id, challenge, { resource: 'https://other.example/mcp' }), { redirect: 'manual' });
  assert.equal(unknown.status, 400);
  assert.equal((await json(unknown)).error, 'invalid_target');
});

test(`[${ALL}] tokens travel in the Authorization header only: one in the query string is not accepted`, async () => {
  const { tokens } = await tokensFor();
  const inQuery = await fetch(`${api.base}/mcp?access_token=${tokens.access_token}`, { method: 'POST' });
  assert.equal(inQuery.status, 401);
  const expired = tokens.access_token.slice(0, -4) + 'AAAA';
  assert.equal((await callMcp(expired)).status, 401);
});

test(`[${ALL}] refresh tokens of public clients rotate, and the resource is kept`, async () => {
  const { client, tokens } = await tokensFor();
  const refreshed = await fetch(metadata.token_endpoint, form({ grant_type: 'refresh_token', client_id: client.client_id,
    refresh_token: tokens.refresh_token, resource })).then(json);
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
  assert.equal(refreshed.resource, resource);
  assert.equal((await callMcp(refreshed.access_token)).status, 200);
});

test(`[${FROM_NOVEMBER}] step-up: a valid token without a scope the operation needs is 403 insufficient_scope naming every scope needed, and a new authorization for them works`, async () => {
  const { tokens } = await tokensFor();
  const res = await callMcp(tokens.access_token, '/mcp/admin');
  assert.equal(res.status, 403);
  const challenge = res.headers.get('www-authenticate');
  assert.match(challenge, /error="insufficient_scope"/);
  assert.match(challenge, /scope="mcp:tools mcp:admin"/);
  assert.match(challenge, /resource_metadata="/);
  const { tokens: more } = await tokensFor({ scope: 'mcp:tools mcp:admin' });
  assert.equal((await callMcp(more.access_token, '/mcp/admin')).status, 200);
});

test(`[${FROM_NOVEMBER}] Client ID Metadata Documents are announced; [${JULY}] dynamic registration stays available (deprecated), with application_type`, async () => {
  assert.equal(metadata.client_id_metadata_document_supported, true);
  const client = await register({ application_type: 'native' });
  assert.ok(client.client_id);
});

test(`[${JULY}] offline_access: the authorization server may list it in scopes_supported, and a client that adds it gets a refresh token`, async () => {
  assert.ok(metadata.scopes_supported.includes('offline_access'));
  const { tokens } = await tokensFor({ scope: 'mcp:tools offline_access' });
  assert.ok(tokens.refresh_token);
  assert.equal(tokens.scope, 'mcp:tools offline_access');
});

test(`[${ALL}] the token endpoint's errors are RFC 6749 JSON, never cached`, async () => {
  const res = await fetch(metadata.token_endpoint, form({ grant_type: 'authorization_code', code: 'nonsense', redirect_uri: REDIRECT, code_verifier: 'x' }));
  assert.ok(res.status === 400 || res.status === 401);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const body = await json(res);
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.error_description, 'string');
});
