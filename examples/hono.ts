// A Hono app on Workers: tokens verified by discovery from the issuer's URL, the revocation list
// read from the issuer's KV namespace (bound as EDGE_JWT_KV).
import { Hono } from 'hono';
import { edgeJwt } from 'edge-jwt/hono';

const app = new Hono();
app.use('/api/*', edgeJwt({ issuer: 'https://auth.example', audience: 'https://api.example', kv: 'EDGE_JWT_KV' }));
app.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub })); // typed: JwtClaims
export default app;
