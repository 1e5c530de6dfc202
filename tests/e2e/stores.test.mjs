// The core's store contract (edge-jwt-core's `conformance::check_store`), run by the Worker
// against the stores it is deployed on: Workers KV and a Durable Object's storage, as
// `wrangler dev` runs them. The in-memory store runs the same suite in `cargo test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIssuer, json } from './harness.mjs';

let issuer;

before(async () => {
  issuer = await startIssuer({ vars: { EDGE_JWT_STORE_CONFORMANCE: 'true' } });
});

after(async () => {
  await issuer?.stop();
  issuer?.cleanup();
});

test('Workers KV and a Durable Object keep the store contract', async () => {
  for (let run = 0; run < 2; run++) {
    const res = await fetch(`${issuer.base}/test/store-conformance`, { method: 'POST' });
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { kv: null, durable_object: null });
  }
});
