// Where the issuer's time goes: a CPU profile of its isolate under `wrangler dev` (the Chrome
// DevTools protocol, through wrangler's inspector) while autocannon drives POST /token, as
// `make bench` does. Prints the functions with the most self time, and the time by kind: the
// Worker's wasm, the JS glue worker-build generates, the runtime. Run with `make profile`
// (PROFILE_ROUTE=introspect for POST /introspect). Never a pass/fail test.
import autocannon from 'autocannon';
import { startIssuer, startSession, devVars, form } from '../tests/e2e/harness.mjs';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const CONNECTIONS = 8;
const ROUTE = process.env.PROFILE_ROUTE ?? 'token';

const issuer = await startIssuer({ secrets: devVars('profile-backend') });
try {
  const targets = await (await fetch(`http://127.0.0.1:${issuer.inspectorPort}/json`)).json();
  // wrangler's inspector refuses the Origin Node's WebSocket sends by default; its own is fine.
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { Origin: `http://127.0.0.1:${issuer.inspectorPort}` } });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  };
  const send = (method, params = {}) => new Promise((resolve) => {
    id += 1;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });

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
  ws.close();

  // Self time per function: its samples times the sampling interval.
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const kinds = new Map();
  profile.samples.forEach((nodeId, i) => {
    const { callFrame } = byNode.get(nodeId);
    const dt = profile.timeDeltas[i] ?? 0;
    const name = callFrame.functionName || `(${callFrame.url.split('/').pop() || 'anonymous'})`;
    const kind = callFrame.url.includes('.wasm') || /^\$?wasm-function|^[a-z_]+::/.test(name) ? 'wasm'
      : callFrame.url.endsWith('.js') ? 'JS glue (worker-build)'
        : name === '(idle)' ? 'idle' : 'runtime (GC, program, natives)';
    self.set(name, (self.get(name) ?? 0) + dt);
    kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
  });
  const busy = [...kinds].filter(([k]) => k !== 'idle').reduce((a, [, t]) => a + t, 0);
  const requests = result.requests.total;
  console.log(`\nPOST /${ROUTE}: ${Math.round(result.requests.average)} req/s over ${SECONDS} s; isolate busy ${(busy / 1000 / requests).toFixed(2)} ms a request\n`);
  console.log('| Kind | Share of busy time |\n|---|---:|');
  for (const [kind, t] of [...kinds].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) {
    console.log(`| ${kind} | ${(100 * t / busy).toFixed(1)}% |`);
  }
  console.log('\n| Function (self time) | Share |\n|---|---:|');
  for (const [name, t] of [...self].filter(([n]) => n !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`| \`${name.slice(0, 90)}\` | ${(100 * t / busy).toFixed(1)}% |`);
  }
} finally {
  await issuer.stop();
  issuer.cleanup();
}
