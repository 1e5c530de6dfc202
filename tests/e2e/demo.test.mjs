// The demo page in a real Chromium (playwright-core, Debian's chromium) against wrangler dev:
// log in, see verified claims, watch an automatic refresh, replay the old refresh token and see
// the session end with invalid_grant, log out. Screenshots (and, on failure, the page's
// console) go to tests/.artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startIssuer, root, launchChromium, recordSteps } from './harness.mjs';

const GRACE = 2;
const artifacts = join(root, 'tests', '.artifacts');
let issuer;
let browser;
let page;
let step;

before(async () => {
  issuer = await startIssuer({ vars: { EDGE_JWT_DEMO_LOGIN: 'true', EDGE_JWT_ACCESS_TTL: '60', EDGE_JWT_REUSE_GRACE: String(GRACE) } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 375, height: 900 } });
  step = recordSteps(page);
});

after(async () => {
  await browser?.close();
  await issuer?.stop();
  issuer?.cleanup();
});

const logText = () => page.evaluate(() => document.querySelector("#log").innerText);

test('log in, see verified claims, watch a refresh, replay, log out', async () => {
  // The page's clock runs 20 s ahead: each 60 s access token falls inside the 30 s skew 10 s
  // after it is issued, so refreshes come every 10 s: one to watch, and a quiet window after
  // it, longer than the grace window, in which the replayed token is certainly a reuse.
  await step('1-login', async () => {
    await page.goto(`${issuer.base}/?clockOffset=20`);
    await page.fill('#name', 'alice');
    await page.click('#login');
    await page.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    const claims = JSON.parse(await page.locator('#claims').innerText());
    assert.equal(claims.sub, 'demo:alice');
    assert.equal(claims.exp - claims.iat, 60);
  });
  await step('2-refresh', async () => {
    await page.waitForFunction(() => document.querySelector('#refresh-count')?.textContent === '1', null, { timeout: 20_000 });
    assert.match(await logText(), /refreshed/);
    await page.click('#call-api');
    await page.waitForFunction(() => document.querySelector('#api')?.textContent.includes('demo:alice'), null, { timeout: 10_000 });
  });
  await step('3-replay', async () => {
    // The previous refresh token was consumed by the refresh just seen: past the grace window
    // in GRACE + 1 s, and the next refresh is still 10 s away.
    await page.waitForTimeout((GRACE + 1) * 1000);
    assert.equal(await page.locator('#refresh-count').innerText(), '1', 'no second refresh yet');
    await page.click('#replay');
    await page.waitForFunction(() => document.querySelector('#log')?.innerText.includes('session ended: invalid_grant'), null, { timeout: 10_000 });
    assert.match(await logText(), /replay refused: invalid_grant/);
    assert.equal(await page.locator('#login-view').isVisible(), true);
  });
  await step('4-revoke-and-retry', async () => {
    await page.click('#login');
    await page.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    await page.click('#revoke');
    await page.waitForFunction(() => document.querySelector('#log')?.innerText.includes('access token revoked'), null, { timeout: 5_000 });
    await page.click('#call-api');
    // 401 on the revoked token, one refresh, one retry: the answer is the claims again.
    await page.waitForFunction(() => /answered 200[\s\S]*access token revoked/.test(document.querySelector('#log')?.innerText ?? ''), null, { timeout: 10_000 });
  });
  await step('5-logout-everywhere', async () => {
    await page.click('#logout-everywhere');
    // The second "session ended: invalid_grant" of the log (the first came from the replay).
    await page.waitForFunction(() => (document.querySelector('#log')?.innerText.split('session ended: invalid_grant').length ?? 0) > 2, null, { timeout: 10_000 });
    assert.match(await logText(), /logged out everywhere/);
  });
  await step('6-logout', async () => {
    await page.click('#login');
    await page.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    await page.click('#logout');
    await page.waitForFunction(() => document.querySelector('#log')?.innerText.includes('session ended: logout'), null, { timeout: 10_000 });
    assert.equal(await page.locator('#login-view').isVisible(), true);
  });
});

test('two tabs sharing localStorage never fork the session (Web Locks; a repeat gets the same pair)', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 900 } });
  const presented = [];
  const statuses = [];
  const successors = new Map(); // refresh token presented → the refresh tokens it got back
  await context.route('**/token', async (route) => {
    const token = new URLSearchParams(route.request().postData() ?? '').get('refresh_token');
    presented.push(token);
    // A slow network widens the window in which two tabs could present the same token.
    await new Promise((r) => setTimeout(r, 300));
    try {
      const response = await route.fetch();
      statuses.push(response.status());
      const answer = await response.json().catch(() => ({}));
      successors.set(token, [...(successors.get(token) ?? []), answer.refresh_token]);
      await route.fulfill({ response });
    } catch (error) {
      // The pages keep refreshing on their own: one may be in flight when the context closes.
      if (!/closed/i.test(String(error))) throw error;
    }
  });
  try {
    const first = await context.newPage();
    // 26 s ahead: every 60 s access token is due for refresh about 4 s after it is issued.
    await first.goto(`${issuer.base}/?clockOffset=26`);
    await first.fill('#name', 'tabs');
    await first.click('#login');
    await first.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    const second = await context.newPage();
    await second.goto(`${issuer.base}/?clockOffset=26`);
    await second.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    await first.waitForTimeout(6_000);
    // Both tabs press "Refresh now" at once: the lock makes the second wait and rotate the
    // first one's result, never the same token.
    await Promise.all([first, second].map((p) => p.evaluate(() => document.querySelector('#refresh-now').click())));
    await first.waitForTimeout(3_000);
    await first.screenshot({ path: join(artifacts, 'two-tabs.png'), fullPage: true });
    assert.ok(presented.length >= 2, `refreshes happened (${presented.length})`);
    assert.deepEqual(statuses, Array(statuses.length).fill(200), 'every /token answer was 200');
    // The lock keeps the tabs from presenting one token twice; when they still do (another
    // tab's localStorage write not yet visible), the issuer answers the very same pair, so the
    // session never forks and nothing is minted twice.
    for (const [token, answers] of successors) {
      assert.equal(new Set(answers).size, 1, `${token.slice(-8)} rotated into ${answers.length} different tokens`);
    }
    assert.ok(new Set(presented).size >= 2, 'the session rotated');
  } finally {
    await context.unrouteAll({ behavior: 'ignoreErrors' });
    await context.close();
  }
});
