// node quick-start.mjs <access token>   (a token from `make dev`, or set ISSUER and AUDIENCE)
import { Verifier, RemoteJwks } from 'edge-jwt';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:8787';
const audience = process.env.AUDIENCE ?? `${issuer}/api`;
// The keys from the issuer's JWKS, fetched once and cached; build the verifier once, reuse it.
const verifier = Verifier.fromRemote(new RemoteJwks(`${issuer}/.well-known/jwks.json`), { issuer, audience });

const claims = await verifier.verify(process.argv[2]); // throws JwtError with a stable `code`
console.log(claims.sub, claims);
