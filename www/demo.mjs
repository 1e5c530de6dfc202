// The demo page: the edge-jwt package's ESM build, no framework, no bundler. `?clockOffset=N`
// moves the page's clock N seconds ahead (used by the browser tests to watch a refresh sooner).
// The session is `edge-jwt/session` (no wasm), as an app would load it; the verifier is loaded
// too only because this page shows the claims it verified, which an app does not need.
import { Session, DpopKey } from '/vendor/edge-jwt/session-api.mjs';
import { Verifier, RemoteJwks, decode, expiresIn } from '/vendor/edge-jwt/browser.mjs';

const $ = (id) => document.getElementById(id);
const offset = Number(new URLSearchParams(location.search).get('clockOffset') ?? 0);
const now = () => Math.floor(Date.now() / 1000) + offset;
const remote = Verifier.fromRemote(new RemoteJwks(new URL('/.well-known/jwks.json', location.origin)),
  // The demo's own audience. The page holds the DPoP key its tokens are bound to and verifies
  // them only to show them, so it takes bound tokens (a resource server uses verifyRequest).
  { issuer: location.origin, audience: `${location.origin}/demo`, allowBoundTokens: true });
let session;
let previousRefreshToken;
let refreshes = 0;

function log(text, error = false) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  if (error) item.className = 'error';
  $('log').prepend(item);
}

/** Every failure is shown as the server's (or the verifier's) error, never a stack. */
function describe(e) {
  return [e.error, e.code, e.message].filter(Boolean).join(': ');
}

async function answer(res) {
  const body = await res.json().catch(() => ({}));
  return res.ok ? body : { status: res.status, ...body };
}

function show() {
  const active = session?.active;
  $('login-view').hidden = active;
  $('session-view').hidden = !active;
}

// The demo keeps the pair in localStorage so that it survives a reload and two tabs share it
// (the Web Locks demonstration). A real app should prefer the default, memory: any script on
// the page can read localStorage (README, "Where the refresh token lives").
// With DPoP the tokens are bound to this browser's key (a non-extractable WebCrypto key in
// IndexedDB): a copy of the refresh token is useless without it ("Use a stolen copy").
function start(tokens) {
  const dpop = /^dpop$/i.test(tokens?.token_type ?? '');
  session = new Session({ issuer: location.origin, tokens, storage: localStorage, now, dpop });
  session.addEventListener('refresh', (e) => {
    refreshes++;
    $('refresh-count').textContent = String(refreshes);
    const proof = session.tokens?.token_type === 'DPoP' ? ", with a DPoP proof by this browser's key" : '';
    log(`refreshed${proof}: a new access token and a rotated refresh token`);
    render();
  });
  session.addEventListener('end', (e) => {
    log(`session ended: ${e.reason}`, e.reason !== 'logout');
    show();
  });
  show();
  render();
}

async function render() {
  const pair = session?.tokens;
  if (!pair) return;
  const bound = decode(pair.access_token).cnf?.jkt;
  $('token-jkt').textContent = bound ?? 'none: a bearer token';
  $('key-jkt').textContent = bound ? (await DpopKey.load()).thumbprint : 'no key in use';
  try {
    const claims = await remote.verify(pair.access_token);
    $('claims').textContent = JSON.stringify(claims, null, 2);
    $('verified').textContent = 'verified';
    $('verified').className = 'badge';
  } catch (e) {
    $('claims').textContent = JSON.stringify(decode(pair.access_token), null, 2);
    $('verified').textContent = `not verified: ${e.code}`;
    $('verified').className = 'badge bad';
  }
}

function tick() {
  const pair = session?.tokens;
  if (!pair) return;
  $('access-left').textContent = `${Math.max(expiresIn(pair.access_token, { now: now() }), 0)} s`;
  const end = decode(pair.refresh_token).session_end;
  const left = Math.max(end - now(), 0);
  $('session-left').textContent = `${Math.floor(left / 86400)} d ${Math.floor((left % 86400) / 3600)} h ${Math.floor((left % 3600) / 60)} min`;
  // Keep the session fresh: this refreshes only when the access token is about to expire.
  const before = pair.refresh_token;
  session.accessToken().then(() => {
    if (session.tokens && session.tokens.refresh_token !== before) previousRefreshToken = before;
  }, (e) => log(`refresh failed: ${describe(e)}`, true));
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  // The key's thumbprint goes with the login; a real back end passes it on as dpop_jkt.
  const login = { name: $('name').value };
  if ($('dpop').checked) login.dpop_jkt = (await DpopKey.load()).thumbprint;
  const res = await fetch('/demo/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(login) });
  const body = await answer(res);
  if (!res.ok) return log(`login failed: ${body.error}: ${body.error_description}`, true);
  log(`logged in as demo:${$('name').value}${login.dpop_jkt ? ', tokens bound to this browser\'s key (DPoP)' : ''}`);
  start(body);
});

$('refresh-now').addEventListener('click', async () => {
  const before = session.tokens?.refresh_token;
  try {
    await session.refresh({ force: true });
    previousRefreshToken = before;
  } catch (e) {
    log(`refresh failed: ${describe(e)}`, true);
  }
});

$('call-api').addEventListener('click', async () => {
  try {
    const body = await answer(await session.fetch('/demo/me'));
    $('api').textContent = JSON.stringify(body, null, 2);
    log(body.status ? `/demo/me answered ${body.status} ${body.error}` : '/demo/me answered 200', Boolean(body.status));
  } catch (e) {
    log(`/demo/me failed: ${describe(e)}`, true);
  }
});

$('revoke').addEventListener('click', async () => {
  const token = session.tokens?.access_token;
  await fetch('/revoke', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }) });
  log('access token revoked (the next API call gets 401, refreshes and retries)');
});

/** `POST /token` with a refresh token, and a proof by this browser's key when `withKey`. */
async function presentRefreshToken(refreshToken, withKey) {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (withKey) headers.DPoP = await (await DpopKey.load()).proof('POST', new URL('/token', location.origin));
  return fetch('/token', { method: 'POST', headers,
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }) });
}

$('replay').addEventListener('click', async () => {
  if (!previousRefreshToken) return log('no previous refresh token yet: refresh first', true);
  // From this page, with its key: the reuse rules decide, not the binding.
  const res = await presentRefreshToken(previousRefreshToken, session.tokens?.token_type === 'DPoP');
  const body = await answer(res);
  if (res.ok) {
    log('replay accepted: still inside the grace window, so it got the same refresh token the session holds; try again in 10 s');
  } else {
    log(`replay refused: ${body.error}: ${body.error_description} (the whole session is now revoked)`, true);
    // The session's own next refresh now fails with invalid_grant and ends it.
    session.refresh({ force: true }).catch((e) => log(`refresh failed: ${describe(e)}`, true));
  }
});

// What an attacker who copied the refresh token out of this page can do with it elsewhere: no
// key, so no proof. A bound session refuses it (and stays alive); a bearer session does not.
$('stolen').addEventListener('click', async () => {
  const stolen = session.tokens?.refresh_token;
  if (!stolen) return;
  const body = await answer(await presentRefreshToken(stolen, false));
  if (body.status) {
    log(`stolen copy refused: ${body.error}: ${body.error_description}`, true);
  } else {
    previousRefreshToken = stolen;
    log('stolen copy accepted: without DPoP a copied refresh token works anywhere (reuse detection ends the session when both sides refresh)', true);
  }
});

$('logout-everywhere').addEventListener('click', async () => {
  const res = await session.fetch('/demo/logout-everywhere', { method: 'POST' });
  if (res.status !== 204) return log(`log out everywhere failed: ${(await answer(res)).error}`, true);
  log('logged out everywhere: every token issued until now is refused');
  session.refresh({ force: true }).catch((e) => log(`refresh failed: ${describe(e)}`, true));
});

$('logout').addEventListener('click', () => session.end());

session = new Session({ issuer: location.origin, storage: localStorage, now });
if (session.active) start(session.tokens); else show();
setInterval(tick, 1000);
