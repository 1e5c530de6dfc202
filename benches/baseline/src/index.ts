// The baseline issuer for `make bench`: what a Workers user writes today with jose. Same HTTP
// shapes, same KV keys (revoked:jti:/sid:/sub:), one Durable Object per session holding the
// rotation state, EdDSA keys from the same EDGE_JWT_SIGNING_KEYS secret. It is not a product:
// it exists so that edge-jwt's Worker is measured against something real, in the same run.
import { DurableObject } from 'cloudflare:workers';
import { SignJWT, jwtVerify, importJWK, base64url, type JWK, type JWTPayload } from 'jose';

interface Env {
  EDGE_JWT_KV: KVNamespace;
  BASELINE_SESSIONS: DurableObjectNamespace<BaselineSession>;
  EDGE_JWT_SIGNING_KEYS: string;
  EDGE_JWT_CLIENTS: string;
  EDGE_JWT_ISSUER: string;
  EDGE_JWT_AUDIENCE: string;
  EDGE_JWT_ACCESS_TTL: string;
  EDGE_JWT_REFRESH_TTL: string;
  EDGE_JWT_SESSION_MAX: string;
  EDGE_JWT_REUSE_GRACE: string;
  EDGE_JWT_LEEWAY: string;
}

interface Keys {
  kid: string;
  signing: CryptoKey;
  verifying: CryptoKey;
  publicJwks: { keys: JWK[] };
}

interface SessionRecord {
  sid: string;
  sub: string;
  client_id: string;
  scope?: string;
  claims: Record<string, unknown>;
  ends_at: number;
  current_jti: string;
  previous?: { jti: string; at: number; refresh_token: string };
  revoked: boolean;
}

let keys: Promise<Keys> | undefined;

function loadKeys(env: Env): Promise<Keys> {
  keys ??= (async () => {
    const jwk = (JSON.parse(env.EDGE_JWT_SIGNING_KEYS) as { keys: JWK[] }).keys[0];
    const { d, ...publicJwk } = jwk;
    return {
      kid: jwk.kid!,
      signing: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
      verifying: (await importJWK(publicJwk, 'EdDSA')) as CryptoKey,
      publicJwks: { keys: [{ ...publicJwk, alg: 'EdDSA', use: 'sig' }] },
    };
  })();
  return keys;
}

const now = () => Math.floor(Date.now() / 1000);
const newId = () => base64url.encode(crypto.getRandomValues(new Uint8Array(16)));

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  });
}

const oauthError = (status: number, error: string, description: string) =>
  json(status, { error, error_description: description });

function authenticate(request: Request, env: Env): string | null {
  const header = request.headers.get('Authorization') ?? '';
  if (!header.startsWith('Basic ')) return null;
  const [id, secret] = atob(header.slice(6)).split(':');
  const expected = (JSON.parse(env.EDGE_JWT_CLIENTS) as Record<string, string>)[id];
  if (!expected || !secret) return null;
  const a = new TextEncoder().encode(secret);
  const b = new TextEncoder().encode(expected);
  return a.length === b.length && crypto.subtle.timingSafeEqual(a, b) ? id : null;
}

async function revoked(env: Env, p: JWTPayload): Promise<boolean> {
  const [jti, sid, sub] = await Promise.all([
    env.EDGE_JWT_KV.get(`revoked:jti:${p.jti}`),
    env.EDGE_JWT_KV.get(`revoked:sid:${p.sid}`),
    env.EDGE_JWT_KV.get(`revoked:sub:${p.sub}`),
  ]);
  return jti !== null || sid !== null || (sub !== null && (p.iat ?? 0) <= Number(sub));
}

async function sign(env: Env, payload: JWTPayload, typ: string, aud: string, exp: number, jti = newId()): Promise<string> {
  const k = await loadKeys(env);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: k.kid, typ })
    .setIssuer(env.EDGE_JWT_ISSUER).setAudience(aud).setIssuedAt(now()).setExpirationTime(exp).setJti(jti)
    .sign(k.signing);
}

export class BaselineSession extends DurableObject<Env> {
  async fetch(request: Request): Promise<Response> {
    const call = (await request.json()) as { op: 'start'; record: SessionRecord } | { op: 'refresh'; payload: JWTPayload };
    const env = this.env;
    let record: SessionRecord | undefined;
    if (call.op === 'start') {
      record = call.record;
    } else {
      if (await revoked(env, call.payload)) return oauthError(400, 'invalid_grant', 'token revoked');
      record = await this.ctx.storage.get<SessionRecord>('session');
      if (!record || record.revoked) return oauthError(400, 'invalid_grant', 'session ended');
    }
    const t = now();
    let refreshToken: string;
    if (call.op === 'start' || call.payload.jti === record.current_jti) {
      const exp = Math.min(t + Number(env.EDGE_JWT_REFRESH_TTL), record.ends_at);
      const jti = newId();
      refreshToken = await sign(env, { sub: record.sub, sid: record.sid, client_id: record.client_id, session_end: record.ends_at },
        'rt+jwt', env.EDGE_JWT_ISSUER, exp, jti);
      if (call.op === 'refresh') record.previous = { jti: record.current_jti, at: t, refresh_token: refreshToken };
      record.current_jti = jti;
      await this.ctx.storage.put('session', record);
      await this.ctx.storage.setAlarm(record.ends_at * 1000);
    } else if (record.previous?.jti === call.payload.jti && t <= record.previous.at + Number(env.EDGE_JWT_REUSE_GRACE)) {
      refreshToken = record.previous.refresh_token;
    } else {
      record.revoked = true;
      await this.ctx.storage.put('session', record);
      await env.EDGE_JWT_KV.put(`revoked:sid:${record.sid}`, '1', { expirationTtl: Math.max(record.ends_at - t, 60) });
      return oauthError(400, 'invalid_grant', 'refresh token reused');
    }
    const accessExp = Math.min(t + Number(env.EDGE_JWT_ACCESS_TTL), record.ends_at);
    const accessToken = await sign(env, { ...record.claims, sub: record.sub, sid: record.sid, client_id: record.client_id,
      ...(record.scope ? { scope: record.scope } : {}) }, 'at+jwt', env.EDGE_JWT_AUDIENCE, accessExp);
    return json(call.op === 'start' ? 201 : 200, { access_token: accessToken, token_type: 'Bearer', expires_in: accessExp - t,
      refresh_token: refreshToken, ...(record.scope ? { scope: record.scope } : {}) });
  }

  async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

async function form(request: Request): Promise<URLSearchParams | null> {
  if (!request.headers.get('Content-Type')?.startsWith('application/x-www-form-urlencoded')) return null;
  return new URLSearchParams(await request.text());
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    const leeway = Number(env.EDGE_JWT_LEEWAY);
    if (request.method === 'GET' && pathname === '/healthz') return json(200, { status: 'ok' });
    if (request.method === 'GET' && pathname === '/.well-known/jwks.json') {
      return Response.json((await loadKeys(env)).publicJwks, { headers: { 'Cache-Control': 'public, max-age=300' } });
    }
    if (request.method !== 'POST') return oauthError(404, 'not_found', 'no such endpoint');
    if (pathname === '/sessions') {
      const clientId = authenticate(request, env);
      if (!clientId) return oauthError(401, 'invalid_client', 'client authentication failed');
      const body = (await request.json().catch(() => null)) as { sub?: string; claims?: Record<string, unknown>; scope?: string } | null;
      if (!body?.sub) return oauthError(400, 'invalid_request', 'sub is required');
      // The read edge-jwt makes too: is the subject logged out everywhere? (A fresh session is
      // allowed either way; edge-jwt uses it to set iat after the logout.)
      await env.EDGE_JWT_KV.get(`revoked:sub:${body.sub}`);
      const sid = newId();
      const record: SessionRecord = { sid, sub: body.sub, client_id: clientId, scope: body.scope, claims: body.claims ?? {},
        ends_at: now() + Number(env.EDGE_JWT_SESSION_MAX), current_jti: '', revoked: false };
      return env.BASELINE_SESSIONS.get(env.BASELINE_SESSIONS.idFromName(sid))
        .fetch('https://session/', { method: 'POST', body: JSON.stringify({ op: 'start', record }) });
    }
    if (pathname === '/token') {
      const params = await form(request);
      if (!params) return oauthError(400, 'invalid_request', 'form body required');
      if (params.get('grant_type') !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'refresh_token only');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(params.get('refresh_token') ?? '', (await loadKeys(env)).verifying, {
          issuer: env.EDGE_JWT_ISSUER, audience: env.EDGE_JWT_ISSUER, typ: 'rt+jwt', algorithms: ['EdDSA'], clockTolerance: leeway,
        }));
      } catch (e) {
        return oauthError(400, 'invalid_grant', (e as Error).message);
      }
      return env.BASELINE_SESSIONS.get(env.BASELINE_SESSIONS.idFromName(String(payload.sid)))
        .fetch('https://session/', { method: 'POST', body: JSON.stringify({ op: 'refresh', payload }) });
    }
    if (pathname === '/introspect') {
      if (!authenticate(request, env)) return oauthError(401, 'invalid_client', 'client authentication failed');
      const params = await form(request);
      if (!params) return oauthError(400, 'invalid_request', 'form body required');
      const k = await loadKeys(env);
      for (const [typ, audience] of [['at+jwt', env.EDGE_JWT_AUDIENCE], ['rt+jwt', env.EDGE_JWT_ISSUER]]) {
        try {
          const { payload } = await jwtVerify(params.get('token') ?? '', k.verifying, {
            issuer: env.EDGE_JWT_ISSUER, audience, typ, algorithms: ['EdDSA'], clockTolerance: leeway,
          });
          if (await revoked(env, payload)) break;
          return json(200, { active: true, token_type: typ === 'at+jwt' ? 'access_token' : 'refresh_token', ...payload });
        } catch {
          // not this kind of token
        }
      }
      return json(200, { active: false });
    }
    return oauthError(404, 'not_found', 'no such endpoint');
  },
};
