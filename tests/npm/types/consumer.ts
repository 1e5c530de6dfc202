// Uses every export of `edge-jwt` under `tsc --strict --noEmit`.
import {
  Verifier, RemoteJwks, JwtError, Session, decode, isExpired, expiresIn,
  resourceRefusal, checkScopes, protectedResourceMetadata, protectedResourceMetadataUrl,
  delegationChain, checkDelegation, type Actor, type DelegationRule,
  type Jwks, type JwtClaims, type VerifierOptions, type KvNamespaceLike, type JwtErrorCode, type RemoteVerifier,
} from 'edge-jwt';
import { edgeJwt, protectedResource, requireScopes, requireDelegation, refuseDelegation, type EdgeJwtOptions } from 'edge-jwt/hono';
import { Hono } from 'hono';

const jwks: Jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] };
const options: VerifierOptions = { issuer: 'https://auth.example', audience: 'https://api.example', leeway: 30, typ: 'at+jwt', algorithms: ['EdDSA', 'ES256'], maxTokenLength: 8192 };
const verifier = new Verifier(jwks, options);
const claims: JwtClaims = verifier.verify('a.b.c', { now: 1767225600 });
const exp: number = claims.exp;
const kv: KvNamespaceLike = { get: async (_key: string) => null };

async function edge(token: string): Promise<string | undefined> {
  const checked = await verifier.verifyNotRevoked(token, kv);
  const remote = Verifier.fromRemote(new RemoteJwks('https://auth.example/.well-known/jwks.json', { cacheMaxAge: 600, cooldown: 30 }), options);
  const fetched: JwtClaims = await remote.verify(token);
  return checked.sub ?? fetched.sub;
}

try {
  verifier.verify('x');
} catch (error) {
  if (error instanceof JwtError) {
    const code: JwtErrorCode = error.code;
    const claim: string | undefined = error.claim;
    console.log(code, claim, error.reason, error.message);
  }
}

const decoded: JwtClaims = decode('a.b.c');
const expired: boolean = isExpired('a.b.c', { leeway: 30, now: 1 });
const left: number = expiresIn('a.b.c', { now: 1 });
console.log(exp, edge, decoded, expired, left, new Verifier('{"keys":[]}'), new Verifier(jwks.keys[0]));

const session = new Session({ issuer: 'https://auth.example', tokens: { access_token: 'a', refresh_token: 'r' }, skew: 30 });
session.addEventListener('end', () => undefined);
async function front(): Promise<number> {
  const token: string = await session.accessToken();
  const res: Response = await session.fetch('/api/me');
  await session.refresh();
  await session.end();
  return token.length + res.status + Number(session.active);
}
console.log(front, await verifier.verifyAsync('a.b.c'));

const discovered: RemoteVerifier = await Verifier.fromIssuer('https://auth.example', { audience: 'https://api.example' },
  { cacheMaxAge: 600, cooldown: 30, timeout: 5, maxStale: 3600 });
const apiSession = new Session({ issuer: 'https://auth.example', origins: ['https://api.example'] });
console.log(discovered, apiSession, await discovered.verify('a.b.c'));

const honoOptions: EdgeJwtOptions = { issuer: 'https://auth.example', audience: 'https://api.example', kv: 'EDGE_JWT_KV', remote: { timeout: 5 } };
console.log(edgeJwt(honoOptions), edgeJwt({ jwks, issuer: 'https://auth.example' }));
// Outside Workers: a store as kv, and the public origin behind a proxy.
console.log(edgeJwt({ jwks, kv: { get: (k: string) => (k ? null : null) }, origin: 'https://api.example' }));
console.log(verifier.verifyRequest(new Request('http://127.0.0.1:3000/x'), { origin: 'https://api.example' }));

// A resource server's side of OAuth (RFC 6750, RFC 9449, RFC 9728).
const refused = resourceRefusal('ERR_JWT_EXPIRED', 'Bearer', { realm: 'api', description: 'expired', resourceMetadata: 'https://mcp.example/.well-known/oauth-protected-resource/mcp' });
const refusalHeader: string = refused.challenge;
const refusalError: 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce' | 'insufficient_scope' = refused.error;
const refusalStatus: 401 | 403 = resourceRefusal('ERR_INSUFFICIENT_SCOPE', 'Bearer', { scope: ['mcp:tools'] }).status;
checkScopes({ scope: 'mcp:tools' }, ['mcp:tools']);
const resourceOptions = { resource: 'https://mcp.example/mcp', authorizationServers: ['https://auth.example'], scopesSupported: ['mcp:tools'] };
const resourceMetadata: string[] = protectedResourceMetadata(resourceOptions).authorization_servers;
const metadataUrl: string = protectedResourceMetadataUrl(resourceOptions.resource);
const metadataHandler = protectedResource(resourceOptions);
const mcpAuth = edgeJwt({ issuer: 'https://auth.example', audience: resourceOptions.resource, resourceMetadata: metadataUrl, requiredScopes: ['mcp:tools'] });
const adminOnly = requireScopes(['mcp:admin']);
void [refusalHeader, refusalError, refusalStatus, adminOnly, resourceMetadata, metadataHandler, mcpAuth];

// Delegated tokens (RFC 8693): who acts for the subject, and routes that take or refuse them.
const delegated: JwtClaims = { exp: 1, sub: 'alice', act: { sub: 'mcp-server', act: { sub: 'agent' } } };
const actor: Actor | undefined = delegated.act;
const actingNow: string | undefined = delegationChain(delegated)[0]?.sub;
const rule: DelegationRule = ['mcp-server'];
checkDelegation(delegated, rule);
checkDelegation(delegated, 'refused');
const delegatedOnly = requireDelegation(['mcp-server']);
const anyActor = requireDelegation();
const ownOnly = refuseDelegation();
void [actor, actingNow, delegatedOnly, anyActor, ownOnly];

// The README's Hono example, as written: `c.get('jwtPayload')` is typed without `Variables`.
const app = new Hono();
app.use('/api/*', edgeJwt({ issuer: 'https://auth.example', audience: 'https://api.example', kv: 'EDGE_JWT_KV' }));
app.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub }));
void app;

// edge-jwt/session: the same classes, without the verifier.
import { Session as SessionOnly, DpopKey as DpopKeyOnly, SessionEnded, type SessionOptions } from 'edge-jwt/session';
const sessionOptions: SessionOptions = { issuer: 'https://auth.example', dpop: true };
const onlySession: Session = new SessionOnly(sessionOptions);
const onlyKey: Promise<DpopKeyOnly> = DpopKeyOnly.load({ algorithm: 'EdDSA' });
console.log(onlySession, onlyKey, SessionEnded.code);
