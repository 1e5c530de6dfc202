// The same middleware in Node (with @hono/node-server; on Bun, `export default app`). There is
// no KV binding here: leave `kv` out, or pass a store with get(key) (a RevocationStore).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { edgeJwt } from 'edge-jwt/hono';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:8787';
const app = new Hono();
app.use('/api/*', edgeJwt({
  issuer, audience: `${issuer}/api`,
  origin: process.env.PUBLIC_ORIGIN, // behind a proxy: the origin clients call, for DPoP proofs
}));
app.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub }));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => console.log(`listening on ${info.port}`));
