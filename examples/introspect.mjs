// Anywhere else (Node, Bun, a server without the issuer's KV): ask the issuer. POST /introspect
// (RFC 7662) answers the revocation list's exact state, for a client with the `introspect`
// permission (node introspect.mjs <token>, with CLIENT_ID and CLIENT_SECRET set).
const issuer = process.env.ISSUER ?? 'http://127.0.0.1:8787';
const credentials = btoa(`${process.env.CLIENT_ID}:${process.env.CLIENT_SECRET}`);

async function introspect(token) {
  const res = await fetch(`${issuer}/introspect`, {
    method: 'POST',
    headers: { Authorization: `Basic ${credentials}` },
    body: new URLSearchParams({ token }),
  });
  if (!res.ok) throw new Error(`introspection failed: ${res.status} ${await res.text()}`);
  return res.json(); // {"active": true, "sub": …} or {"active": false}
}

const answer = await introspect(process.argv[2]);
console.log(answer.active ? `active, for ${answer.sub}` : 'not active (expired, revoked or unknown)');
