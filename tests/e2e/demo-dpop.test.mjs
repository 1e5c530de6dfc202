// DPoP in a real Chromium (playwright-core, Debian's chromium) against wrangler dev: the demo
// logs in with the browser's key, the key cannot be exported, two tabs share it through
// IndexedDB, and "Use a stolen copy of the refresh token" is refused with invalid_dpop_proof.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIssuer, launchChromium, recordSteps } from './harness.mjs';

let issuer;
let browser;
let context;
let page;
let step;

before(async () => {
  issuer = await startIssuer({ vars: { EDGE_JWT_DEMO_LOGIN: 'true' } });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 375, height: 900 } });
  page = await context.newPage();
  step = recordSteps(page);
});

after(async () => {
  await browser?.close();
  await issuer?.stop();
  issuer?.cleanup();
});

const logText = () => page.evaluate(() => document.querySelector('#log').innerText);

/** The page's DPoP key record as IndexedDB holds it, and what WebCrypto says of its private key. */
function inspectKey(target) {
  return target.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('edge-jwt');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const record = await new Promise((resolve, reject) => {
      const get = db.transaction('dpop-keys').objectStore('dpop-keys').get('edge-jwt:dpop');
      get.onsuccess = () => resolve(get.result);
      get.onerror = () => reject(get.error);
    });
    db.close();
    const { privateKey } = record.keyPair;
    const exported = await crypto.subtle.exportKey('jwk', privateKey).then(() => 'exported', (e) => e.name);
    const { DpopKey } = await import('/vendor/edge-jwt/browser.mjs');
    return { extractable: privateKey.extractable, exported, thumbprint: (await DpopKey.load()).thumbprint };
  });
}

test('the demo with DPoP: bound tokens, a key no script can export, shared by two tabs, a stolen copy refused', async () => {
  await step('dpop-1-login', async () => {
    await page.goto(`${issuer.base}/`);
    assert.equal(await page.locator('#dpop').isChecked(), true, 'DPoP is on by default');
    await page.fill('#name', 'mallory-target');
    await page.click('#login');
    await page.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    const claims = JSON.parse(await page.locator('#claims').innerText());
    const tokenJkt = await page.locator('#token-jkt').innerText();
    await page.waitForFunction(() => document.querySelector('#key-jkt')?.textContent.length === 43, null, { timeout: 5_000 });
    assert.equal(claims.cnf.jkt, tokenJkt);
    assert.equal(await page.locator('#key-jkt').innerText(), tokenJkt, "the token is bound to this browser's key");
  });
  await step('dpop-2-key-not-extractable', async () => {
    const key = await inspectKey(page);
    assert.equal(key.extractable, false);
    assert.equal(key.exported, 'InvalidAccessError', 'exportKey rejects');
    assert.equal(key.thumbprint, await page.locator('#token-jkt').innerText());
  });
  await step('dpop-3-two-tabs', async () => {
    const second = await context.newPage();
    await second.goto(`${issuer.base}/`);
    // The second tab restores the session from storage and signs with the same key.
    await second.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    assert.equal((await inspectKey(second)).thumbprint, (await inspectKey(page)).thumbprint);
    await second.click('#call-api');
    await second.waitForFunction(() => document.querySelector('#api')?.textContent.includes('mallory-target'), null, { timeout: 10_000 });
    await second.close();
  });
  await step('dpop-4-stolen-copy', async () => {
    await page.click('#stolen');
    await page.waitForFunction(() => document.querySelector('#log')?.innerText.includes('stolen copy refused'), null, { timeout: 10_000 });
    assert.match(await logText(), /stolen copy refused: invalid_dpop_proof/);
    // The thief's attempt changed nothing: the session refreshes with its key and calls the API.
    await page.click('#refresh-now');
    await page.waitForFunction(() => document.querySelector('#refresh-count')?.textContent === '1', null, { timeout: 10_000 });
    await page.click('#call-api');
    await page.waitForFunction(() => /\/demo\/me answered 200/.test(document.querySelector('#log')?.innerText ?? ''), null, { timeout: 10_000 });
    assert.doesNotMatch(await logText(), /session ended/);
  });
});

test('the demo without DPoP: a stolen copy of the refresh token works, which is what DPoP prevents', async () => {
  const bearer = await browser.newContext({ viewport: { width: 375, height: 900 } });
  const tab = await bearer.newPage();
  try {
    await tab.goto(`${issuer.base}/`);
    await tab.uncheck('#dpop');
    await tab.click('#login');
    await tab.waitForFunction(() => document.querySelector('#verified')?.textContent === 'verified', null, { timeout: 15_000 });
    assert.match(await tab.locator('#token-jkt').innerText(), /none/);
    await tab.click('#stolen');
    await tab.waitForFunction(() => document.querySelector('#log')?.innerText.includes('stolen copy accepted'), null, { timeout: 10_000 });
  } finally {
    await bearer.close();
  }
});
