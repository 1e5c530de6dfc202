// The demo's consent page: shows the pending authorization (client, scope, resource) and
// answers it through the demo's own endpoints, which stand for an app's back end. The issuer's
// answer says where to send the browser.
const challenge = new URLSearchParams(location.search).get('login_challenge') ?? '';
const base = `/demo/authorizations/${encodeURIComponent(challenge)}`;
const $ = (id) => document.getElementById(id);

function problem(text) {
  $('request').hidden = true;
  $('problem').hidden = false;
  $('problem-text').textContent = text;
}

async function answer(path, body) {
  const res = await fetch(`${base}/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) return problem(json.error_description ?? `HTTP ${res.status}`);
  location.assign(json.redirect_to);
}

const res = await fetch(base);
const pending = await res.json().catch(() => ({}));
if (!res.ok) {
  problem(pending.error_description ?? `HTTP ${res.status}`);
} else {
  $('client-name').textContent = pending.client_name ?? 'A client';
  $('client-id').textContent = pending.client_id;
  $('scope').textContent = pending.scope ?? '(none)';
  $('resource').textContent = pending.resource ?? '(this issuer\'s default audience)';
  $('redirect-uri').textContent = pending.redirect_uri;
  $('request').hidden = false;
  $('consent-form').addEventListener('submit', (event) => {
    event.preventDefault();
    answer('accept', { name: $('name').value });
  });
  $('deny').addEventListener('click', () => answer('reject', {}));
}
