// The authorization code flow against a real `wrangler dev`, driven by oauth4webapi (a client no
// one here wrote): dynamic registration (RFC 7591), /authorize with PKCE and a resource
// (RFC 8707), the login handoff as an app's back end does it, the code exchange with `iss`
// checked (RFC 9207), the access token validated for the resource (RFC 9068), a refresh; then
// the refusals a client or an attacker meets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { createServer } from 'node:http';
import { startIssuer, form, json } from './harness.mjs';

let issuer;
let as;
let documents;
let documentBase;
const insecure = { [oauth.allowInsecureRequests]: true };
const LOGIN = 'http://127.0.0.1:9/login';
const RESOURCE = 'https://mcp.example.test/mcp';
const REDIRECT = 'http://127.0.0.1:33418/callback';

let assertionKey;
let assertionJwk;

before(async () => {
  // The key a ChatGPT-shaped document client signs its private_key_jwt assertions with.
  assertionKey = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  assertionJwk = { ...(await crypto.subtle.exportKey('jwk', assertionKey.publicKey)), kid: 'chat-1', alg: 'EdDSA' };
  // Client ID Metadata Documents, served by the test on loopback (EDGE_JWT_CLIENT_METADATA_DOCUMENTS=loopback).
  documents = createServer((req, res) => {
    const url = `${documentBase}${req.url}`;
    const doc = (clientId, extra = {}) => JSON.stringify({ client_id: clientId, client_name: 'Doc client',
      redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', ...extra });
    if (req.url === '/good.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(doc(url));
    if (req.url === '/other.json') return res.writeHead(200).end(doc(`${documentBase}/good.json`));
    if (req.url === '/redirect.json') return res.writeHead(302, { location: `${documentBase}/good.json` }).end();
    if (req.url === '/big.json') return res.writeHead(200).end(doc(url, { pad: 'x'.repeat(8000) }));
    if (req.url === '/elsewhere.json') return res.writeHead(200).end(doc(url, { redirect_uris: ['https://elsewhere.example/cb'] }));
    // ChatGPT's published shape: private_key_jwt declared, none offered, keys on its own host,
    // grant and response types beyond the code flow's.
    if (req.url === '/chatgpt.json') {
      return res.writeHead(200, { 'content-type': 'application/json' }).end(doc(url, {
        client_name: 'ChatGPT', token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'], token_endpoint_auth_signing_alg: 'EdDSA',
        jwks_uri: `${documentBase}/jwks.json`, response_types: ['code', 'id_token'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      }));
    }
    if (req.url === '/jwks.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [assertionJwk] }));
    return res.writeHead(404).end();
  });
  await new Promise((resolve) => documents.listen(0, '127.0.0.1', resolve));
  documentBase = `http://127.0.0.1:${documents.address().port}`;
  issuer = await startIssuer({ vars: {
    EDGE_JWT_LOGIN_URL: LOGIN, EDGE_JWT_RESOURCES: JSON.stringify([RESOURCE]), EDGE_JWT_REGISTRATION: 'open',
    EDGE_JWT_CLIENT_METADATA_DOCUMENTS: 'loopback',
    // Short windows, so that the two-process scenario runs in seconds.
    EDGE_JWT_REUSE_GRACE: '1', EDGE_JWT_FLOW_REPLAY_WINDOW: '5',
    // DPoP proofs carry the issuer's nonce (requests without DPoP are not concerned).
    EDGE_JWT_DPOP_NONCE: 'on',
  } });
  const discovery = await oauth.discoveryRequest(new URL(issuer.base), { algorithm: 'oauth2', ...insecure });
  as = await oauth.processDiscoveryResponse(new URL(issuer.base), discovery);
});

after(async () => {
  documents?.close();
  await issuer?.stop();
  issuer?.cleanup();
});

async function registerPublicClient(name = 'oauth4webapi') {
  const response = await oauth.dynamicClientRegistrationRequest(as, {
    redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', client_name: name,
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  }, insecure);
  return oauth.processDynamicClientRegistrationResponse(response);
}

/** The authorization URL of a request, with `extra` parameters (an empty value removes one). */
function authorizationUrl(client, codeChallenge, state, extra = {}) {
  const url = new URL(as.authorization_endpoint);
  const params = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: codeChallenge,
    code_challenge_method: 'S256', state, scope: 'mcp:tools', resource: RESOURCE, ...extra };
  for (const [k, v] of Object.entries(params)) if (v !== '') url.searchParams.set(k, v);
  return url;
}

/** The browser at /authorize, then the app's back end accepting for `sub`: the callback URL. */
async function logIn(url, sub = 'alice') {
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, await res.text());
  const toLogin = new URL(res.headers.get('location'));
  assert.equal(`${toLogin.origin}${toLogin.pathname}`, LOGIN);
  const challenge = toLogin.searchParams.get('login_challenge');
  const app = { Authorization: issuer.basic, 'Content-Type': 'application/json' };
  const view = await fetch(`${issuer.base}/authorizations/${challenge}`, { headers: app }).then(json);
  assert.equal(view.resource, RESOURCE);
  const accepted = await fetch(`${issuer.base}/authorizations/${challenge}/accept`,
    { method: 'POST', headers: app, body: JSON.stringify({ sub }) });
  assert.equal(accepted.status, 200);
  return { challenge, callback: new URL((await json(accepted)).redirect_to) };
}

test('oauth4webapi registers, authorizes with PKCE and a resource, exchanges the code, validates the token for the resource, refreshes', async () => {
  const client = await registerPublicClient();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const { callback } = await logIn(authorizationUrl(client, await oauth.calculatePKCECodeChallenge(verifier), state));
  // validateAuthResponse checks state and iss (RFC 9207).
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier,
    { ...insecure, additionalParameters: { resource: RESOURCE } });
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  assert.equal(tokens.token_type, 'bearer');
  const request = new Request(RESOURCE, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const claims = await oauth.validateJwtAccessToken(as, request, RESOURCE, insecure);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.client_id, client.client_id);
  assert.equal(claims.scope, 'mcp:tools');
  const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(
    as, client, oauth.None(), tokens.refresh_token, { ...insecure, additionalParameters: { resource: RESOURCE } }));
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  const sessions = await fetch(`${issuer.base}/subjects/alice/sessions`, { headers: { Authorization: issuer.basic } }).then(json);
  assert.ok(sessions.sessions.some((s) => s.client_id === client.client_id));
});

test('a code used twice is refused and the session its first use started ends', async () => {
  const client = await registerPublicClient();
  const verifier = oauth.generateRandomCodeVerifier();
  const { callback } = await logIn(authorizationUrl(client, await oauth.calculatePKCECodeChallenge(verifier), 'st'));
  const exchange = () => fetch(as.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: callback.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: verifier }));
  const first = await exchange();
  assert.equal(first.status, 200);
  const tokens = await json(first);
  const second = await json(await exchange());
  assert.deepEqual([second.error, second.code], ['invalid_grant', 'ERR_AUTHORIZATION_CODE_REUSED']);
  const refresh = await fetch(as.token_endpoint, form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }));
  assert.equal((await json(refresh)).code, 'ERR_JWT_REVOKED');
});

test('a code raced by 20 concurrent exchanges is redeemed once, and the session it started ends', async () => {
  const client = await registerPublicClient();
  const verifier = oauth.generateRandomCodeVerifier();
  const { callback } = await logIn(authorizationUrl(client, await oauth.calculatePKCECodeChallenge(verifier), 'st'), 'racer');
  const exchange = () => fetch(as.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: callback.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: verifier })).then(async (res) => [res.status, await res.json()]);
  const answers = await Promise.all(Array.from({ length: 20 }, exchange));
  const granted = answers.filter(([status]) => status === 200);
  assert.equal(granted.length, 1, JSON.stringify(answers.map(([status, body]) => [status, body.code])));
  assert.ok(answers.filter(([status]) => status !== 200).every(([status, body]) => status === 400 && body.error === 'invalid_grant'));
  // The others were reuse: the one session the code started is over.
  const refresh = await fetch(as.token_endpoint, form({ grant_type: 'refresh_token', refresh_token: granted[0][1].refresh_token }));
  assert.equal((await json(refresh)).code, 'ERR_JWT_REVOKED');
});

test('refusals: no redirect to an unregistered URI, nor a registered client\'s plain PKCE or unknown resource (an error page), a wrong verifier, a challenge answered twice, the handoff without credentials', async () => {
  const client = await registerPublicClient();
  const verifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(verifier);
  const evil = await fetch(authorizationUrl(client, codeChallenge, 'st', { redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
  assert.equal(evil.status, 400);
  assert.equal(evil.headers.get('location'), null);
  for (const [extra, error] of [[{ code_challenge_method: 'plain' }, 'invalid_request'], [{ resource: 'https://other.example' }, 'invalid_target']]) {
    // A registered client chose its own redirect URI: sending the browser there before the
    // user has seen anything would be an open redirect.
    const res = await fetch(authorizationUrl(client, codeChallenge, 'st', extra), { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.equal((await json(res)).error, error);
  }
  const { challenge, callback } = await logIn(authorizationUrl(client, codeChallenge, 'st'));
  const again = await fetch(`${issuer.base}/authorizations/${challenge}/accept`, { method: 'POST',
    headers: { Authorization: issuer.basic, 'Content-Type': 'application/json' }, body: JSON.stringify({ sub: 'mallory' }) });
  assert.equal(again.status, 404);
  const anonymous = await fetch(`${issuer.base}/authorizations/${challenge}`);
  assert.equal(anonymous.status, 401);
  const wrong = await fetch(as.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: callback.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: oauth.generateRandomCodeVerifier() }));
  assert.equal((await json(wrong)).error, 'invalid_grant');
});

test('a client ID metadata document served by a test server: accepted; another client_id, a redirect, an oversized body, an unlisted redirect URI refused', async () => {
  assert.equal(as.client_id_metadata_document_supported, true);
  const client = { client_id: `${documentBase}/good.json`, token_endpoint_auth_method: 'none' };
  const verifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(verifier);
  const { callback } = await logIn(authorizationUrl(client, codeChallenge, 'st'));
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, await oauth.authorizationCodeGrantRequest(
    as, client, oauth.None(), oauth.validateAuthResponse(as, client, callback, 'st'), REDIRECT, verifier, insecure));
  const view = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
  assert.equal(view.client_id, client.client_id);
  for (const path of ['/other.json', '/redirect.json', '/big.json', '/elsewhere.json']) {
    const refused = await fetch(authorizationUrl({ client_id: `${documentBase}${path}` }, codeChallenge, 'st'), { redirect: 'manual' });
    assert.equal(refused.status, 400, path);
    assert.equal(refused.headers.get('location'), null, path);
  }
});

test('a ChatGPT-shaped metadata document: the whole flow with oauth4webapi\'s PrivateKeyJwt at the exchange, the refresh and /revoke', async () => {
  assert.ok(as.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  const client = { client_id: `${documentBase}/chatgpt.json`, token_endpoint_auth_method: 'private_key_jwt' };
  const signed = oauth.PrivateKeyJwt({ key: assertionKey.privateKey, kid: 'chat-1' });
  const verifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(verifier);
  const { callback } = await logIn(authorizationUrl(client, codeChallenge, 'st'));
  const params = oauth.validateAuthResponse(as, client, callback, 'st');
  // Without its assertion the code is refused, and not used up.
  const bare = await fetch(as.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: params.get('code'), redirect_uri: REDIRECT, code_verifier: verifier }));
  assert.equal(bare.status, 401);
  assert.equal((await json(bare)).error, 'invalid_client');
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, signed, params, REDIRECT, verifier, insecure));
  assert.equal(JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url')).client_id, client.client_id);
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, signed, tokens.refresh_token, insecure));
  assert.ok(refreshed.refresh_token);
  const revoked = await oauth.revocationRequest(as, client, signed, refreshed.refresh_token, insecure);
  await oauth.processRevocationResponse(revoked);
  const after = await oauth.refreshTokenGrantRequest(as, client, signed, refreshed.refresh_token, insecure);
  await assert.rejects(oauth.processRefreshTokenResponse(as, client, after), (e) => e.error === 'invalid_grant');
});

test('two processes share one refresh token: the one behind catches up within the replay window, and after it the old token ends the session', async () => {
  const client = await registerPublicClient('two processes');
  const verifier = oauth.generateRandomCodeVerifier();
  const { callback } = await logIn(authorizationUrl(client, await oauth.calculatePKCECodeChallenge(verifier), 'st'));
  const exchanged = await fetch(as.token_endpoint, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: callback.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: verifier }));
  assert.equal(exchanged.status, 200);
  const shared = (await json(exchanged)).refresh_token;
  const refresh = (token) => fetch(as.token_endpoint, form({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: token }));
  // Process A refreshes; process B still holds the shared token.
  const a = await json(await refresh(shared));
  const rotatedAt = Date.now();
  // Past the grace window (1 s), inside the replay window (5 s): B gets the session's current pair.
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const b = await refresh(shared);
  assert.equal(b.status, 200);
  assert.equal((await json(b)).refresh_token, a.refresh_token, 'nothing new minted: the pair A got');
  // Both keep working: B rotates, and A's copy catches up.
  const b2 = await json(await refresh(a.refresh_token));
  assert.ok(b2.refresh_token);
  // After the window (counted from A's rotation), the shared token is reuse: the session ends.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, rotatedAt + 7000 - Date.now())));
  const late = await refresh(shared);
  assert.equal(late.status, 400);
  assert.equal((await json(late)).code, 'ERR_REFRESH_TOKEN_REUSED');
  const ended = await refresh(b2.refresh_token);
  assert.equal((await json(ended)).error, 'invalid_grant');
});

test('DPoP nonces (RFC 9449 §8): oauth4webapi\'s DPoP handle is told the nonce, retries with it, and gets bound tokens', async () => {
  const client = await registerPublicClient('dpop nonce');
  const keyPair = await oauth.generateKeyPair('ES256');
  const dpop = oauth.DPoP(client, keyPair);
  const verifier = oauth.generateRandomCodeVerifier();
  const { callback } = await logIn(authorizationUrl(client, await oauth.calculatePKCECodeChallenge(verifier), 'st'));
  const params = oauth.validateAuthResponse(as, client, callback, 'st');
  const exchange = () => oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, { ...insecure, DPoP: dpop });
  let tokens;
  try {
    tokens = await oauth.processAuthorizationCodeResponse(as, client, await exchange());
    assert.fail('the first proof carried no nonce');
  } catch (err) {
    assert.ok(oauth.isDPoPNonceError(err), String(err));
    // The same code again, now with the nonce the handle was told: it was not used up.
    tokens = await oauth.processAuthorizationCodeResponse(as, client, await exchange());
  }
  assert.equal(tokens.token_type, 'dpop');
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, { ...insecure, DPoP: dpop }));
  assert.equal(refreshed.token_type, 'dpop');
});
