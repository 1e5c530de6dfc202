// Sign-in built in, against a real OpenID provider and a real browser: oidc-provider (an
// OpenID-certified implementation, scripts/dev-oidc-provider.mjs: its own login and consent
// pages, keys and ID tokens) is the issuer's upstream under wrangler dev, and Chromium walks the
// whole flow an MCP client starts: the MCP SDK's authorization URL → the issuer → the provider's
// login form → back → the issuer's consent page → the client's redirect → the code exchange →
// a tool call on the README's MCP server (examples/mcp-server.mjs) behind edge-jwt/hono. Then the refusals a person can meet, each a
// page that says why. (The ID token refusals a real provider will not produce, a wrong nonce or
// audience, a foreign key, an expired token, are the handlers' tests, signin_tests.rs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startIssuer, startExampleMcpServer, freePort, devVars, launchChromium, recordSteps, MemoryOAuthProvider } from './harness.mjs';
import { startOidcProvider } from '../../scripts/dev-oidc-provider.mjs';

const REDIRECT = 'http://127.0.0.1:33419/callback';
let issuer;
let api;
let idp;
let github;
let browser;
let page;
let step;
let resource;

before(async () => {
  const [issuerPort, idpPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const base = `http://127.0.0.1:${issuerPort}`;
  resource = `http://127.0.0.1:${apiPort}/mcp`;
  idp = await startOidcProvider({ port: idpPort, issuer: base, allow: { email_domains: ['example.com'] } });
  github = await startGitHubStandIn(await freePort());
  const secrets = devVars();
  // The upstreams hold client secrets: a secret of the Worker's, beside the others.
  secrets.text += `EDGE_JWT_UPSTREAMS='${JSON.stringify([idp.upstream, github.upstream])}'\n`;
  issuer = await startIssuer({ port: issuerPort, secrets, vars: {
    EDGE_JWT_REGISTRATION: 'open', EDGE_JWT_RESOURCES: JSON.stringify([resource]), EDGE_JWT_SCOPES: 'mcp:tools',
  } });
  api = await startExampleMcpServer(issuer, { name: 'edge-jwt-signin-test', port: apiPort });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  step = recordSteps(page);
});

after(async () => {
  await browser?.close();
  await api?.stop();
  await issuer?.stop();
  issuer?.cleanup();
  await idp?.close();
  await github?.close();
});

/**
 * GitHub itself cannot be reached from the test machine: this stands in for its two OAuth
 * endpoints and its user API, as GitHub documents them (the authorize page approves at once, as
 * for a user who authorized the app before; the token endpoint takes client_secret_post and
 * answers JSON when asked; /user and /user/emails need the token and a User-Agent).
 */
async function startGitHubStandIn(port) {
  const base = `http://127.0.0.1:${port}`;
  const client = { client_id: 'Iv1.standin', client_secret: 'github-standin-secret' };
  const codes = new Map();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, base);
    const json = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/login/oauth/authorize') {
      const code = crypto.randomUUID();
      codes.set(code, { redirect_uri: url.searchParams.get('redirect_uri'), challenge: url.searchParams.get('code_challenge') });
      const back = new URL(url.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state'));
      res.writeHead(302, { Location: back.href });
      return res.end();
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let text = '';
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      const issued = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      const verifier = form.get('code_verifier') ?? '';
      const hashed = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
      if (form.get('client_id') !== client.client_id || form.get('client_secret') !== client.client_secret
        || !issued || issued.redirect_uri !== form.get('redirect_uri') || issued.challenge !== hashed) {
        return json(200, { error: 'bad_verification_code' });
      }
      return json(200, { access_token: 'gho_standin', token_type: 'bearer', scope: 'read:user,user:email' });
    }
    if (req.headers.authorization !== 'Bearer gho_standin' || !req.headers['user-agent']) return json(401, { message: 'Requires authentication' });
    if (url.pathname === '/user') return json(200, { id: 583231, login: 'octocat', name: 'The Octocat', email: null });
    if (url.pathname === '/user/emails') return json(200, [{ email: 'octocat@github.com', primary: true, verified: true }]);
    return json(404, { message: 'Not Found' });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const upstream = { id: 'github', name: 'GitHub', github: true, ...client, claims: ['login', 'email'],
    authorization_endpoint: `${base}/login/oauth/authorize`, token_endpoint: `${base}/login/oauth/access_token`,
    userinfo_endpoint: `${base}/user` };
  return { upstream, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The example MCP server's `whoami` tool, called by the MCP SDK's client with `provider`'s tokens. */
async function whoami(provider) {
  const client = new Client({ name: 'edge-jwt-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return JSON.parse(result.content[0].text);
  } finally {
    await client.close();
  }
}

/** Catches the client's loopback callback, as a CLI's local server would. */
async function catchCallback() {
  let seen;
  const reached = new Promise((resolve) => { seen = resolve; });
  await page.route(`${REDIRECT}**`, (route) => {
    seen(route.request().url());
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'You may close this window.' });
  });
  return reached.then(async (url) => {
    await page.unroute(`${REDIRECT}**`);
    return new URL(url);
  });
}

/** The provider's development login and consent pages, as a person fills them in. */
async function signInAtProvider(login) {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  // Its consent for the issuer's client (only the first time for this account).
  const next = await Promise.race([
    page.waitForSelector('button[autofocus]', { timeout: 15_000 }).then(() => 'provider-consent'),
    page.waitForURL((url) => url.href.startsWith(issuer.base), { timeout: 15_000 }).then(() => 'issuer'),
  ]);
  if (next === 'provider-consent') await page.click('button[autofocus]');
}

test('the MCP SDK client through a real provider and the issuer\'s consent page to a tool call', async () => {
  const provider = new MemoryOAuthProvider(REDIRECT, 'MCP Inspector');
  assert.equal(await auth(provider, { serverUrl: resource }), 'REDIRECT');
  const callback = catchCallback();
  await step('signin-1-provider-login', async () => {
    await page.goto(provider.authorizationUrl.href);
    // Two upstreams: the issuer's chooser.
    assert.match(await page.locator('main').innerText(), /To continue to MCP Inspector, sign in with/);
    await page.click('text=Continue with Local OpenID provider');
    assert.ok(page.url().startsWith(idp.base), page.url());
    await signInAtProvider('alice');
  });
  await step('signin-2-issuer-consent', async () => {
    await page.waitForSelector('button[value=allow]');
    const text = await page.locator('main').innerText();
    assert.match(text, /MCP Inspector/);
    assert.match(text, /registered itself/);
    assert.match(text, /127\.0\.0\.1:33419/);
    assert.match(text, /mcp:tools/);
    await page.click('button[value=allow]');
  });
  const back = await callback;
  assert.equal(back.searchParams.get('iss'), issuer.base);
  assert.equal(await auth(provider, { serverUrl: resource, authorizationCode: back.searchParams.get('code') }), 'AUTHORIZED');
  const claims = JSON.parse(Buffer.from(provider.tokens().access_token.split('.')[1], 'base64url'));
  assert.equal(claims.sub, 'local|alice', 'the upstream and its sub, never the email');
  assert.equal(claims.email, 'alice@example.com');
  assert.equal(claims.name, 'Dev alice');
  assert.equal(claims.aud, resource);
  const unauthenticated = await fetch(resource, { method: 'POST' });
  assert.equal(unauthenticated.status, 401);
  assert.match(unauthenticated.headers.get('www-authenticate'), /resource_metadata="/);
  assert.deepEqual(await whoami(provider), { sub: 'local|alice', email: 'alice@example.com', client: provider.information.client_id });
});

test('a user outside the allow-list, a replayed callback, a forged state: pages that say why', async () => {
  const provider = new MemoryOAuthProvider(REDIRECT, 'MCP Inspector');
  await auth(provider, { serverUrl: resource });
  // Signed out at the provider, to sign in as someone else.
  await page.context().clearCookies();
  let toCallback;
  page.on('request', (request) => {
    if (request.url().startsWith(`${issuer.base}/signin/callback`)) toCallback = request.url();
  });
  await step('signin-3-outsider', async () => {
    await page.goto(provider.authorizationUrl.href);
    await page.click('text=Continue with Local OpenID provider');
    await signInAtProvider('outsider-bob');
    await page.waitForSelector('main h1');
    assert.equal(await page.locator('main h1').innerText(), 'You may not sign in here');
    assert.match(await page.locator('main').innerText(), /accounts at elsewhere\.test may not sign in here/);
  });
  const refused = await fetch(toCallback, { redirect: 'manual' });
  assert.equal(refused.status, 400, 'no cookie: another browser');
  assert.match(await refused.text(), /another browser/);
  await step('signin-4-replayed', async () => {
    // The same callback again, in the same browser: the provider's code is spent.
    const answer = await page.goto(toCallback);
    assert.equal(answer.status(), 400);
    assert.match(await page.locator('main').innerText(), /start again/);
  });
  await step('signin-5-forged-state', async () => {
    const answer = await page.goto(`${issuer.base}/signin/callback?code=x&state=forged`);
    assert.equal(answer.status(), 400);
    assert.match(await page.locator('main').innerText(), /not one this issuer began/);
    assert.equal(answer.headers()['x-frame-options'], 'DENY');
  });
});

test('Deny on the issuer\'s consent page sends access_denied with iss to the client', async () => {
  const provider = new MemoryOAuthProvider(REDIRECT, 'MCP Inspector');
  await auth(provider, { serverUrl: resource });
  const callback = catchCallback();
  await page.context().clearCookies();
  await step('signin-6-deny', async () => {
    await page.goto(provider.authorizationUrl.href);
    await page.click('text=Continue with Local OpenID provider');
    await signInAtProvider('carol');
    await page.waitForSelector('button[value=deny]');
    await page.click('button[value=deny]');
  });
  const back = await callback;
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('iss'), issuer.base);
  assert.equal(back.searchParams.get('code'), null);
});

test('GitHub (its endpoints stood in for: GitHub is unreachable from here): the user by its id, with its verified email', async () => {
  const provider = new MemoryOAuthProvider(REDIRECT, 'MCP Inspector');
  await auth(provider, { serverUrl: resource });
  const callback = catchCallback();
  await step('signin-7-github', async () => {
    await page.goto(provider.authorizationUrl.href);
    await page.click('text=Continue with GitHub');
    await page.waitForSelector('button[value=allow]');
    await page.click('button[value=allow]');
  });
  const back = await callback;
  assert.equal(await auth(provider, { serverUrl: resource, authorizationCode: back.searchParams.get('code') }), 'AUTHORIZED');
  const claims = JSON.parse(Buffer.from(provider.tokens().access_token.split('.')[1], 'base64url'));
  assert.deepEqual([claims.sub, claims.login, claims.email], ['github|583231', 'octocat', 'octocat@github.com']);
  assert.equal((await whoami(provider)).sub, 'github|583231');
});
