// What the profile scripts share (benches/profile.mjs, profile-verify.mjs,
// profile-verify-workerd.mjs): a Chrome DevTools protocol session with a workerd isolate
// through wrangler dev's inspector, and a V8 CPU profile read as self time by function and by
// kind, printed as two Markdown tables.

/**
 * A session with the isolate behind wrangler dev's inspector on `inspectorPort`:
 * `send(method, params)` answers the protocol's reply; `close()` ends it.
 */
export async function inspectorSession(inspectorPort) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  // wrangler's inspector refuses the Origin Node's WebSocket sends by default; its own is fine.
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { Origin: `http://127.0.0.1:${inspectorPort}` } });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  };
  const send = (method, params = {}) => new Promise((resolve) => {
    id += 1;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  return { send, close: () => ws.close() };
}

/** Whether a profile's frame is the package's or the Worker's wasm. */
export const isWasm = (callFrame, name) => callFrame.url.includes('.wasm') || /^\$?wasm-function|^[a-z_0-9]+::|^<.*as /.test(name);

/**
 * Self time by function and by kind (`kindOf(callFrame, name)`; the kind `idle` is left out of
 * the busy time), printed as the share of busy time of each kind and of the `top` functions.
 */
export function printSelfTimes(profile, kindOf, top = 15) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const kinds = new Map();
  profile.samples.forEach((nodeId, i) => {
    const { callFrame } = byNode.get(nodeId);
    const dt = profile.timeDeltas[i] ?? 0;
    const name = callFrame.functionName || `(${callFrame.url.split('/').pop() || 'anonymous'})`;
    const kind = name === '(idle)' ? 'idle' : kindOf(callFrame, name);
    if (kind !== 'idle') self.set(name, (self.get(name) ?? 0) + dt);
    kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
  });
  kinds.delete('idle');
  const busy = [...kinds.values()].reduce((a, t) => a + t, 0);
  const share = (t) => `${(100 * t / busy).toFixed(1)}%`;
  console.log('| Kind | Share of busy time |\n|---|---:|');
  for (const [kind, t] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`| ${kind} | ${share(t)} |`);
  console.log('\n| Function (self time) | Share |\n|---|---:|');
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| \`${name.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 90)}\` | ${share(t)} |`);
  }
  return busy;
}
