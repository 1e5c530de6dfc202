// An MCP client no one here wrote, the MCP TypeScript SDK's OAuth client (`auth()`), against a
// Hono resource server protected by edge-jwt/hono (RFC 9728 metadata, `resource_metadata` in
// its challenge) and the issuer under `wrangler dev`: it discovers the resource's metadata and
// the issuer's, registers dynamically, runs PKCE with `resource`, exchanges the code, calls the
// resource, and refreshes. The only code of ours on its side is the in-memory provider the SDK
// asks every client to supply, and the login the user's app would do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { startIssuer, startHonoResource, freePort, json, devVars, MemoryOAuthProvider } from './harness.mjs';

const LOGIN = 'http://127.0.0.1:9/login';
const REDIRECT = 'http://127.0.0.1:33418/callback';
let issuer;
let api;
let agentKey;

before(async () => {
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  // A configured agent that authenticates with private_key_jwt (the MCP client-credentials
  // extension's recommendation): its public key in EDGE_JWT_CLIENTS, no secret.
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  agentKey = { ...(await crypto.subtle.exportKey('jwk', pair.privateKey)), kid: 'agent-1', alg: 'EdDSA' };
  const { d: _private, ...agentPublic } = agentKey;
  const secrets = devVars();
  const clients = JSON.parse(secrets.text.match(/^EDGE_JWT_CLIENTS='(.*)'$/m)[1]);
  clients['mcp-agent'] = { jwks: { keys: [agentPublic] }, grant_types: ['client_credentials'], scopes: ['mcp:tools'] };
  secrets.text = secrets.text.replace(/^EDGE_JWT_CLIENTS='.*'$/m, `EDGE_JWT_CLIENTS='${JSON.stringify(clients)}'`);
  issuer = await startIssuer({ secrets, vars: {
    EDGE_JWT_LOGIN_URL: LOGIN, EDGE_JWT_RESOURCES: JSON.stringify([resource]), EDGE_JWT_REGISTRATION: 'open',
  } });
  api = await startHonoResource(issuer, { name: 'edge-jwt-mcp-test', port });
});

after(async () => {
  await api?.stop();
  await issuer?.stop();
  issuer?.cleanup();
});

/** The browser at the authorization URL, and the user's app accepting for `sub`: the callback. */
async function logIn(url, sub) {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, await res.text());
  const challenge = new URL(res.headers.get('location')).searchParams.get('login_challenge');
  const accepted = await fetch(`${issuer.base}/authorizations/${challenge}/accept`, { method: 'POST',
    headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' }, body: JSON.stringify({ sub }) });
  assert.equal(accepted.status, 200);
  return new URL((await json(accepted)).redirect_to);
}

test('the MCP SDK discovers, registers, authorizes with PKCE and resource, calls the server, and refreshes', async () => {
  const serverUrl = `${api.base}/mcp`;
  // Unauthenticated, the server says where its metadata is.
  const refused = await fetch(serverUrl, { method: 'POST' });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate'), /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
  const provider = new MemoryOAuthProvider(REDIRECT, 'MCP SDK e2e');
  assert.equal(await auth(provider, { serverUrl }), 'REDIRECT');
  const authorization = new URL(provider.authorizationUrl);
  assert.equal(authorization.searchParams.get('resource'), serverUrl);
  assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
  const callback = await logIn(authorization, 'mcp-alice');
  assert.equal(callback.searchParams.get('iss'), issuer.base);
  assert.equal(await auth(provider, { serverUrl, authorizationCode: callback.searchParams.get('code') }), 'AUTHORIZED');
  const call = await fetch(serverUrl, { method: 'POST', headers: { Authorization: `Bearer ${provider.saved.access_token}` } });
  assert.equal(call.status, 200);
  assert.deepEqual(await call.json(), { sub: 'mcp-alice', aud: serverUrl });
  // With a refresh token stored, auth() refreshes (with the resource, as the SDK sends it).
  const first = provider.saved.refresh_token;
  assert.equal(await auth(provider, { serverUrl }), 'AUTHORIZED');
  assert.notEqual(provider.saved.refresh_token, first);
  const again = await fetch(serverUrl, { method: 'POST', headers: { Authorization: `Bearer ${provider.saved.access_token}` } });
  assert.equal(again.status, 200);
});

test('the MCP SDK steps up from a 403 insufficient_scope: it asks again for every scope the challenge names', async () => {
  const serverUrl = `${api.base}/mcp`;
  const provider = new MemoryOAuthProvider(REDIRECT, 'MCP SDK e2e');
  assert.equal(await auth(provider, { serverUrl }), 'REDIRECT');
  // The first request's scope comes from the 401's and the metadata's: mcp:tools.
  assert.equal(new URL(provider.authorizationUrl).searchParams.get('scope'), 'mcp:tools');
  const first = await logIn(provider.authorizationUrl, 'mcp-bob');
  assert.equal(await auth(provider, { serverUrl, authorizationCode: first.searchParams.get('code') }), 'AUTHORIZED');
  // The admin tool needs more. The SDK's own transport reads the 403 and starts the step-up.
  const admin = new URL(`${api.base}/mcp/admin`);
  const refused = await fetch(admin, { method: 'POST', headers: { Authorization: `Bearer ${provider.saved.access_token}` } });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('cache-control'), 'no-store');
  assert.match(refused.headers.get('www-authenticate'), /error="insufficient_scope".*scope="mcp:tools mcp:admin"/);
  provider.authorizationUrl = undefined;
  // SDK 1.32 refreshes first when it holds a refresh token, and a refresh never widens a grant
  // (RFC 6749 §6): it would get the same token, the same 403, and give up. A client that steps
  // up asks for a new authorization; this one holds no refresh token, as the SDK then does.
  provider.saved = { ...provider.saved, refresh_token: undefined };
  const transport = new StreamableHTTPClientTransport(admin, { authProvider: provider });
  await assert.rejects(transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' }), UnauthorizedError);
  const stepUp = new URL(provider.authorizationUrl);
  assert.equal(stepUp.searchParams.get('scope'), 'mcp:tools mcp:admin');
  const second = await logIn(stepUp, 'mcp-bob');
  assert.equal(await auth(provider, { serverUrl, scope: 'mcp:tools mcp:admin', authorizationCode: second.searchParams.get('code') }), 'AUTHORIZED');
  const allowed = await fetch(admin, { method: 'POST', headers: { Authorization: `Bearer ${provider.saved.access_token}` } });
  assert.equal(allowed.status, 200);
  assert.deepEqual(await allowed.json(), { scope: 'mcp:tools mcp:admin' });
});

test('the MCP SDK\'s PrivateKeyJwtProvider gets a client-credentials token for the server with private_key_jwt, and calls it', async () => {
  const serverUrl = `${api.base}/mcp`;
  const provider = new PrivateKeyJwtProvider({ clientId: 'mcp-agent', privateKey: agentKey, algorithm: 'EdDSA', expectedIssuer: issuer.base });
  assert.equal(await auth(provider, { serverUrl, scope: 'mcp:tools' }), 'AUTHORIZED');
  const claims = JSON.parse(Buffer.from(provider.tokens().access_token.split('.')[1], 'base64url'));
  assert.deepEqual([claims.sub, claims.aud, claims.scope], ['mcp-agent', serverUrl, 'mcp:tools']);
  const call = await fetch(serverUrl, { method: 'POST', headers: { Authorization: `Bearer ${provider.tokens().access_token}` } });
  assert.equal(call.status, 200);
  // Another key's assertion is refused, as invalid_client.
  const other = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const stranger = new PrivateKeyJwtProvider({ clientId: 'mcp-agent', algorithm: 'EdDSA', expectedIssuer: issuer.base,
    privateKey: { ...(await crypto.subtle.exportKey('jwk', other.privateKey)), kid: 'agent-1' } });
  await assert.rejects(auth(stranger, { serverUrl, scope: 'mcp:tools' }), /invalid_client|Invalid client/i);
});
