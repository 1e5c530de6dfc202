// Restarting `wrangler dev` on the same persist folder keeps revocations and sessions; a
// missing or malformed secret makes every request answer 503 naming the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startIssuer, startSession, form, json, devVars } from './harness.mjs';

test('a restart on the same persist folder keeps sessions and revocations', async () => {
  const first = await startIssuer();
  const start = (issuer, sub) => startSession(issuer, { sub });
  const kept = await start(first, 'kept');
  const revoked = await start(first, 'revoked');
  assert.equal((await fetch(`${first.base}/revoke`, form({ token: revoked.access_token }))).status, 200);
  assert.equal((await fetch(`${first.base}/revoke`, form({ token: revoked.refresh_token }))).status, 200);
  await first.stop();

  // Same state and secrets, new process (and port: the issuer URL moves with it).
  const second = await startIssuer({ persistDir: first.persistDir, secrets: first.secrets,
    vars: { EDGE_JWT_ISSUER: first.base, EDGE_JWT_AUDIENCE: `${first.base}/api` } });
  try {
    const refreshed = await fetch(`${second.base}/token`, form({ grant_type: 'refresh_token', refresh_token: kept.refresh_token }));
    assert.equal(refreshed.status, 200, 'the session survived the restart');
    const again = await fetch(`${second.base}/token`, form({ grant_type: 'refresh_token', refresh_token: revoked.refresh_token }));
    assert.equal((await json(again)).code, 'ERR_JWT_REVOKED', 'the revocation survived the restart');
    const introspected = await json(await fetch(`${second.base}/introspect`, {
      ...form({ token: revoked.access_token }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: second.basic },
    }));
    assert.deepEqual(introspected, { active: false });
  } finally {
    await second.stop();
    second.cleanup();
  }
});

test('a malformed signing-key secret answers 503 naming the setting, never its value', async () => {
  const secrets = devVars();
  const broken = {
    ...secrets,
    text: secrets.text.replace(/^EDGE_JWT_SIGNING_KEYS=.*$/m, "EDGE_JWT_SIGNING_KEYS='{\"keys\":[{\"kty\":\"oct\",\"k\":\"dG9wLXNlY3JldC12YWx1ZQ\"}]}'"),
  };
  const issuer = await startIssuer({ secrets: broken });
  try {
    for (const [path, init] of [['/healthz', {}], ['/token', form({ grant_type: 'refresh_token', refresh_token: 'x' })],
      ['/.well-known/jwks.json', {}]]) {
      const res = await fetch(`${issuer.base}${path}`, init);
      const body = await json(res);
      assert.equal(res.status, 503, path);
      assert.equal(body.error, 'temporarily_unavailable');
      assert.match(body.error_description, /EDGE_JWT_SIGNING_KEYS/);
      assert.doesNotMatch(JSON.stringify(body), /dG9wLXNlY3JldC12YWx1ZQ/);
    }
    assert.doesNotMatch(issuer.log(), /dG9wLXNlY3JldC12YWx1ZQ/, 'the secret never reaches the log');
  } finally {
    await issuer.stop();
    issuer.cleanup();
  }
});
