// Where the issuer's time goes: a CPU profile of its isolate under `wrangler dev` (the Chrome
// DevTools protocol, through wrangler's inspector) while autocannon drives POST /token, as
// `make bench` does. Prints the functions with the most self time, and the time by kind: the
// Worker's wasm, the JS glue worker-build generates, the runtime. Run with `make profile`
// (PROFILE_ROUTE=introspect for POST /introspect). Never a pass/fail test.
import autocannon from 'autocannon';
import { startIssuer, startSession, devVars, form } from '../tests/e2e/harness.mjs';
import { inspectorSession, isWasm, printSelfTimes } from './cpu-profile.mjs';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const CONNECTIONS = 8;
const ROUTE = process.env.PROFILE_ROUTE ?? 'token';

const issuer = await startIssuer({ secrets: devVars('profile-backend') });
try {
  const { send, close } = await inspectorSession(issuer.inspectorPort);

  let request;
  if (ROUTE === 'introspect') {
    const { access_token } = await startSession(issuer, { sub: 'profile' });
    const { body, headers } = form({ token: access_token });
    request = { method: 'POST', path: '/introspect', headers: { ...headers, Authorization: issuer.basic }, body };
  } else {
    const pool = [];
    for (let i = 0; i < CONNECTIONS * 8; i++) pool.push((await startSession(issuer, { sub: `profile-${i}` })).refresh_token);
    request = {
      method: 'POST', path: '/token', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      setupRequest: (req, context) => {
        context.token = pool.shift();
        return { ...req, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: context.token }).toString() };
      },
      onResponse: (status, body, context) => pool.push(status === 200 ? JSON.parse(body).refresh_token : context.token),
    };
  }
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  const result = await autocannon({ url: issuer.base, connections: CONNECTIONS, duration: SECONDS, requests: [request] });
  const { result: { profile } } = await send('Profiler.stop');
  close();

  const requests = result.requests.total;
  console.log(`\nPOST /${ROUTE}: ${Math.round(result.requests.average)} req/s over ${SECONDS} s\n`);
  const busy = printSelfTimes(profile, (callFrame, name) => (isWasm(callFrame, name) ? 'wasm'
    : callFrame.url.endsWith('.js') ? 'JS glue (worker-build)' : 'runtime (GC, program, natives)'), 20);
  console.log(`\nThe isolate was busy ${(busy / 1000 / requests).toFixed(2)} ms a request.`);
} finally {
  await issuer.stop();
  issuer.cleanup();
}
