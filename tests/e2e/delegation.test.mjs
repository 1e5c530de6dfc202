// Delegation against a real `wrangler dev`, with clients no one here wrote: token exchange
// (RFC 8693) through oauth4webapi's generic grant request, its token taken by a Hono service
// behind edge-jwt/hono that takes delegated tokens only and reads the revocation list; and the
// JWT bearer grant with an ID-JAG (the MCP enterprise-managed authorization profile) from a
// small identity provider of the test's own (its own keys, discovery, its own token exchange),
// driven by the MCP TypeScript SDK's cross-app access client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { CrossAppAccessProvider, auth, discoverAndRequestJwtAuthGrant } from '@modelcontextprotocol/client';
import { startIssuer, startHonoResource, startSession, freePort, json, devVars, form } from './harness.mjs';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const insecure = { [oauth.allowInsecureRequests]: true };
const mcpServer = { client_id: 'mcp-server', secret: 'mcp-server-secret-0123456789' };
const agent = { client_id: 'agent', secret: 'agent-secret-0123456789abcdef' };
let issuer;
let api;
let idp;
let as;

/**
 * An enterprise identity provider, as small as the profile lets it be: discovery, its key set,
 * ID tokens for its users, and a token endpoint that exchanges one of its ID tokens for an
 * ID-JAG (RFC 8693, `requested_token_type` id-jag) naming the client at the resource's
 * authorization server.
 */
async function startIdp() {
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'idp-1', alg: 'EdDSA', use: 'sig' };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Its own client for the agent, and that client's id at the resource's authorization server.
  const idpClient = { id: 'agent-at-idp', secret: 'agent-at-idp-secret', resourceClientId: agent.client_id };
  const sign = (claims, typ, exp = '5m') => new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1', typ })
    .setIssuer(base).setIssuedAt().setExpirationTime(exp).setJti(crypto.randomUUID()).sign(privateKey);
  const server = createServer(async (req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url, base).pathname;
    if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') {
      return reply(200, { issuer: base, jwks_uri: `${base}/jwks`, token_endpoint: `${base}/token`,
        // Where its users sign in (not used here: the test holds a signed-in user's ID token).
        authorization_endpoint: `${base}/authorize`, response_types_supported: ['code'],
        grant_types_supported: [EXCHANGE], token_endpoint_auth_methods_supported: ['client_secret_post'] });
    }
    if (path === '/jwks') return reply(200, { keys: [jwk] });
    if (path !== '/token' || req.method !== 'POST') return reply(404, { error: 'not_found' });
    let text = '';
    for await (const chunk of req) text += chunk;
    const params = new URLSearchParams(text);
    if (params.get('client_id') !== idpClient.id || params.get('client_secret') !== idpClient.secret) {
      return reply(401, { error: 'invalid_client' });
    }
    if (params.get('grant_type') !== EXCHANGE || params.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:id-jag') {
      return reply(400, { error: 'unsupported_grant_type' });
    }
    try {
      const { payload } = await jose.jwtVerify(params.get('subject_token'), publicKey, { issuer: base, audience: idpClient.id });
      const jag = await sign({ sub: payload.sub, aud: params.get('audience'), client_id: idpClient.resourceClientId,
        resource: params.get('resource'), scope: params.get('scope') ?? undefined, email: payload.email }, 'oauth-id-jag+jwt');
      return reply(200, { issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag', access_token: jag,
        token_type: 'N_A', expires_in: 300, scope: params.get('scope') ?? undefined });
    } catch (error) {
      return reply(400, { error: 'invalid_grant', error_description: String(error) });
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    base, idpClient,
    /** The ID token of a user who signed in at the provider, for the agent. */
    idToken: (sub, email) => sign({ sub, email, aud: idpClient.id }, 'JWT'),
    /** An ID-JAG for the agent at `audience`, as the provider would sign it, `claims` on top. */
    jag: (claims, typ = 'oauth-id-jag+jwt') => sign({ sub: '00u-alice', client_id: agent.client_id, ...claims }, typ),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

before(async () => {
  idp = await startIdp();
  const port = await freePort();
  const honoBase = `http://127.0.0.1:${port}`;
  const issuerPort = await freePort();
  const secrets = devVars();
  const clients = JSON.parse(secrets.text.match(/^EDGE_JWT_CLIENTS='(.*)'$/m)[1]);
  clients[mcpServer.client_id] = { secret: mcpServer.secret, permissions: ['exchange'],
    // The tokens it receives are for the issuer's default audience (`/sessions` issues them).
    exchange: { from: [`http://127.0.0.1:${issuerPort}/api`], to: [`${honoBase}/downstream`] } };
  clients[agent.client_id] = { secret: agent.secret, scopes: ['mcp:tools'] };
  const trusted = [{ issuer: idp.base, clients: [agent.client_id], resources: [`${honoBase}/mcp`],
    subject_prefix: 'corp|', claims: ['email'] }];
  issuer = await startIssuer({
    port: issuerPort,
    secrets: { ...secrets, text: secrets.text.replace(/^EDGE_JWT_CLIENTS='.*'$/m, () => `EDGE_JWT_CLIENTS='${JSON.stringify(clients)}'`) },
    // The code flow on too: the MCP SDK reads metadata only with an authorization endpoint.
    vars: { EDGE_JWT_TRUSTED_ISSUERS: JSON.stringify(trusted), EDGE_JWT_LOGIN_URL: 'http://127.0.0.1:9/login' },
  });
  api = await startHonoResource(issuer, { name: 'edge-jwt-delegation-test', port, kv: true });
  const discovery = await oauth.discoveryRequest(new URL(issuer.base), { algorithm: 'oauth2', ...insecure });
  as = await oauth.processDiscoveryResponse(new URL(issuer.base), discovery);
});

after(async () => {
  await api?.stop();
  await issuer?.stop();
  issuer?.cleanup();
  await idp?.stop();
});

/** A token exchange by `client` (oauth4webapi's generic grant), its answer processed. */
async function exchange(client, subjectToken, parameters = {}) {
  const response = await oauth.genericTokenEndpointRequest(as, { client_id: client.client_id },
    oauth.ClientSecretBasic(client.secret), EXCHANGE,
    { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, ...parameters }, insecure);
  return oauth.processGenericTokenEndpointResponse(as, { client_id: client.client_id }, response);
}

const call = (path, token, method = 'GET') => fetch(`${api.base}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
const introspect = (token) => fetch(`${issuer.base}/introspect`, { ...form({ token }),
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: issuer.basic } }).then(json);

test('metadata lists both grants of delegation', () => {
  assert.ok(as.grant_types_supported.includes(EXCHANGE), JSON.stringify(as.grant_types_supported));
  assert.ok(as.grant_types_supported.includes(JWT_BEARER));
});

test('token exchange: the MCP server trades its user\'s token for one the downstream service takes', async () => {
  const { access_token: subject } = await startSession(issuer, { sub: 'alice', scope: 'files:read files:write' });
  // The user's token is the MCP server's (its audience), not the downstream service's.
  assert.equal((await call('/api/me', subject)).status, 200);
  assert.equal((await call('/downstream/files', subject)).status, 401);

  const exchanged = await exchange(mcpServer, subject, { resource: `${api.base}/downstream`, scope: 'files:read' });
  assert.equal(exchanged.issued_token_type, ACCESS_TOKEN);
  assert.equal(exchanged.token_type, 'bearer');
  assert.equal(exchanged.refresh_token, undefined, 'no refresh token from an exchange');
  assert.equal(exchanged.scope, 'files:read');
  const files = await call('/downstream/files', exchanged.access_token);
  assert.equal(files.status, 200);
  assert.deepEqual(await files.json(), { sub: 'alice', actors: ['mcp-server'], scope: 'files:read' });
  // Not a token for the MCP server itself, and not one for what takes the user's own tokens.
  assert.equal((await call('/api/me', exchanged.access_token)).status, 401);
  const own = await call('/downstream/account/delete', exchanged.access_token, 'POST');
  assert.equal(own.status, 401);
  assert.match((await own.json()).error_description, /delegated tokens are refused/);
  assert.equal((await introspect(exchanged.access_token)).act.sub, 'mcp-server');
});

test('the exchanged token belongs to the subject token\'s session: logging the user out refuses it at once', async () => {
  const { access_token: subject } = await startSession(issuer, { sub: 'bob' });
  const exchanged = await exchange(mcpServer, subject, { audience: `${api.base}/downstream` });
  assert.equal((await call('/downstream/files', exchanged.access_token)).status, 200);
  assert.equal((await introspect(exchanged.access_token)).active, true);
  const logout = await fetch(`${issuer.base}/subjects/bob/revoke`, { method: 'POST', headers: { Authorization: issuer.basic } });
  assert.ok(logout.status < 300, String(logout.status));
  assert.deepEqual(await introspect(exchanged.access_token), { active: false });
  const refused = await call('/downstream/files', exchanged.access_token);
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).code, 'ERR_JWT_REVOKED');
  // And the subject token can no longer be exchanged.
  await assert.rejects(exchange(mcpServer, subject), (e) => e.error === 'invalid_request' && /revoked/.test(e.error_description));
});

test('token exchange refusals, each an RFC 6749 / 8693 error oauth4webapi reports', async () => {
  const { access_token: subject } = await startSession(issuer, { sub: 'carol', scope: 'files:read' });
  const refused = async (client, token, parameters, error) => {
    await assert.rejects(exchange(client, token, parameters), (e) => {
      assert.equal(e.error, error, `${e.error}: ${e.error_description}`);
      assert.equal(e.status, 400);
      return true;
    });
  };
  // A token of another issuer; a client without the exchange permission.
  const { privateKey } = await jose.generateKeyPair('EdDSA');
  const foreign = await new jose.SignJWT({ sid: 's', client_id: 'c' }).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
    .setIssuer('https://elsewhere.example').setSubject('carol').setAudience(`${issuer.base}/api`).setJti('j')
    .setIssuedAt().setExpirationTime('5m').sign(privateKey);
  await refused(mcpServer, foreign, {}, 'invalid_request');
  await refused(agent, subject, {}, 'unauthorized_client');
  // An audience it may not exchange for; a scope wider than the subject token's.
  await refused(mcpServer, subject, { audience: 'https://billing.example' }, 'invalid_target');
  await refused(mcpServer, subject, { scope: 'files:read files:write' }, 'invalid_scope');
  // An exchanged token is not the MCP server's to exchange again (its audience is downstream).
  const exchanged = await exchange(mcpServer, subject);
  await refused(mcpServer, exchanged.access_token, {}, 'invalid_request');
});

test('the MCP SDK\'s cross-app access: an ID token becomes an ID-JAG, then this issuer\'s token for the MCP resource', async () => {
  const idToken = await idp.idToken('00u-alice', 'alice@corp.example');
  const assertions = [];
  const provider = new CrossAppAccessProvider({
    assertion: async (ctx) => {
      const { jwtAuthGrant } = await discoverAndRequestJwtAuthGrant({
        idpUrl: idp.base, audience: ctx.authorizationServerUrl, resource: ctx.resourceUrl, idToken,
        clientId: idp.idpClient.id, clientSecret: idp.idpClient.secret, scope: ctx.scope, fetchFn: ctx.fetchFn,
      });
      assertions.push(jwtAuthGrant);
      return jwtAuthGrant;
    },
    clientId: agent.client_id,
    clientSecret: agent.secret,
    expectedIssuer: issuer.base,
  });
  assert.equal(await auth(provider, { serverUrl: new URL(`${api.base}/mcp`) }), 'AUTHORIZED');
  const tokens = provider.tokens();
  assert.equal(tokens.refresh_token, undefined);
  const claims = jose.decodeJwt(tokens.access_token);
  assert.equal(claims.sub, 'corp|00u-alice');
  assert.equal(claims.client_id, agent.client_id);
  assert.equal(claims.email, 'alice@corp.example');
  assert.equal(claims.aud, `${api.base}/mcp`);
  const mcp = await fetch(`${api.base}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(mcp.status, 200);
  assert.deepEqual(await mcp.json(), { sub: 'corp|00u-alice', aud: `${api.base}/mcp` });

  // The same ID-JAG again: its jti was used.
  const replay = await oauth.genericTokenEndpointRequest(as, { client_id: agent.client_id }, oauth.ClientSecretBasic(agent.secret),
    JWT_BEARER, { assertion: assertions[0] }, insecure);
  await assert.rejects(oauth.processGenericTokenEndpointResponse(as, { client_id: agent.client_id }, replay),
    (e) => e.error === 'invalid_grant' && /used before/.test(e.error_description));
});

test('JWT bearer refusals: another typ, another audience, an untrusted issuer, another client', async () => {
  const present = async (assertion, client = agent) => {
    const response = await oauth.genericTokenEndpointRequest(as, { client_id: client.client_id }, oauth.ClientSecretBasic(client.secret),
      JWT_BEARER, { assertion }, insecure);
    return oauth.processGenericTokenEndpointResponse(as, { client_id: client.client_id }, response);
  };
  const resource = `${api.base}/mcp`;
  const refused = async (assertion, pattern, client) => {
    await assert.rejects(present(assertion, client), (e) => {
      assert.equal(e.error, 'invalid_grant', `${e.error}: ${e.error_description}`);
      assert.match(e.error_description, pattern);
      return true;
    });
  };
  await refused(await idp.jag({ aud: issuer.base, resource }, 'JWT'), /typ/);
  await refused(await idp.jag({ aud: 'https://other-as.example', resource }), /aud/);
  const { privateKey } = await jose.generateKeyPair('EdDSA');
  const untrusted = await new jose.SignJWT({ sub: 'x', client_id: agent.client_id, aud: issuer.base, resource })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'oauth-id-jag+jwt' }).setIssuer('https://evil.example')
    .setIssuedAt().setExpirationTime('5m').setJti('j').sign(privateKey);
  await refused(untrusted, /not trusted/);
  await refused(await idp.jag({ aud: issuer.base, resource }), /client_id/, mcpServer);
  // A good one, for contrast.
  const granted = await present(await idp.jag({ aud: issuer.base, resource, scope: 'mcp:tools' }));
  assert.equal(granted.scope, 'mcp:tools');
});
