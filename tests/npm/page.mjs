// A page of a folder, opened in headless Chromium: the folder served on a loopback port with the
// content types a module page needs, and the page's `window.result` once it sets it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { launchChromium } from '../e2e/harness.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Opens `/${html}` of `folder` in Chromium; returns the page's `window.result` (fails after 20 s). */
export async function pageResult(folder, html) {
  const server = createServer((req, res) => {
    const path = join(folder, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!existsSync(path) || !statSync(path).isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/${html}`);
    await page.waitForFunction(() => window.result, null, { timeout: 20_000 })
      .catch(() => assert.fail(`the page never finished: ${errors.join('\n')}`));
    return await page.evaluate(() => window.result);
  } finally {
    await browser.close();
    server.close();
  }
}
