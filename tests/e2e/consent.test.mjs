// The demo's consent page in a real Chromium against wrangler dev: with the demo on and no app
// login page, /authorize hands the browser to consent.html, which shows the client's name,
// scope and resource; Allow sends the browser back to the client with a code oauth4webapi
// exchanges (for the demo's own tokens), Deny with access_denied. Screenshots go to tests/.artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { startIssuer, launchChromium, recordSteps, form, json } from './harness.mjs';

const CALLBACK = 'http://127.0.0.1:33418/callback';
let issuer;
let browser;
let page;
let step;
let client;

before(async () => {
  issuer = await startIssuer({ vars: { EDGE_JWT_DEMO_LOGIN: 'true', EDGE_JWT_REGISTRATION: 'open' } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 375, height: 800 } });
  step = recordSteps(page);
  const registered = await fetch(`${issuer.base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/callback'], client_name: 'Demo CLI', token_endpoint_auth_method: 'none', scope: 'notes:read' }) });
  client = await json(registered);
});

after(async () => {
  await browser?.close();
  await issuer?.stop();
  issuer?.cleanup();
});

/** Opens /authorize in the page and resolves with the URL the client's callback got. */
async function authorizeInPage(codeChallenge, answer) {
  const url = new URL(`${issuer.base}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK,
    code_challenge: codeChallenge, code_challenge_method: 'S256', state: 'st', scope: 'notes:read' })) url.searchParams.set(k, v);
  let seen;
  const reached = new Promise((resolve) => { seen = resolve; });
  // The client's loopback callback: caught here, as a CLI's local server would catch it.
  await page.route(`${CALLBACK}**`, (route) => {
    seen(route.request().url());
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'You may close this window.' });
  });
  await page.goto(url.href);
  await page.waitForSelector('#request:not([hidden])');
  assert.equal(await page.locator('#client-name').innerText(), 'Demo CLI');
  assert.equal(await page.locator('#scope').innerText(), 'notes:read');
  await answer();
  const callback = new URL(await reached);
  await page.unroute(`${CALLBACK}**`);
  return callback;
}

test('Allow: the browser goes back with a code that oauth4webapi exchanges for the demo user', async () => {
  const verifier = oauth.generateRandomCodeVerifier();
  let callback;
  await step('consent-1-allow', async () => {
    callback = await authorizeInPage(await oauth.calculatePKCECodeChallenge(verifier), async () => {
      await page.fill('#name', 'carol');
      await page.click('#allow');
    });
  });
  assert.equal(callback.searchParams.get('state'), 'st');
  assert.equal(callback.searchParams.get('iss'), issuer.base);
  const tokens = await json(await fetch(`${issuer.base}/token`, form({ grant_type: 'authorization_code', client_id: client.client_id,
    code: callback.searchParams.get('code'), redirect_uri: CALLBACK, code_verifier: verifier })));
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
  // The demo answers for a demo user: its tokens are the demo's (audience and scope), whatever
  // was asked, so a demo left on mints nothing a real resource accepts.
  assert.deepEqual([claims.sub, claims.client_id, claims.aud, claims.scope],
    ['demo:carol', client.client_id, `${issuer.base}/demo`, 'demo']);
});

test('Deny: the browser goes back with access_denied', async () => {
  let callback;
  await step('consent-2-deny', async () => {
    callback = await authorizeInPage(await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      () => page.click('#deny'));
  });
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('code'), null);
});
