// The edge-jwt API for JavaScript: thin classes over the wasm core. Every rule about tokens
// lives in Rust (edge-jwt-core); this file converts values and errors, and fetches JWKS.
import * as wasm from './edge_jwt.js';

/** Longest token accepted by default, in bytes (the core's default). */
const DEFAULT_MAX_TOKEN_LENGTH = 8192;

/**
 * The error every edge-jwt function throws, with a stable `code` (named as jose names them).
 * @example
 * try { verifier.verify(token) } catch (e) { if (e.code === 'ERR_JWT_EXPIRED') refresh() }
 */
export class JwtError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'JwtError';
    this.code = code;
    if (details.claim !== undefined) this.claim = details.claim;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** Turns the core's error objects into JwtError; anything else is rethrown as is. */
function rethrow(error) {
  if (error instanceof JwtError) throw error;
  if (error && typeof error === 'object' && typeof error.code === 'string' && !(error instanceof Error)) {
    throw new JwtError(error.code, error.message, error);
  }
  throw error;
}

function call(fn) {
  try {
    return fn();
  } catch (error) {
    rethrow(error);
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function jwksText(jwks) {
  if (typeof jwks === 'string') return jwks;
  if (jwks && typeof jwks === 'object') return JSON.stringify(jwks);
  throw new JwtError('ERR_JWKS_INVALID', 'jwks must be a JWKS object, its JSON text, or one JWK');
}

/**
 * Refuses what the core would refuse anyway, before copying it into wasm memory: a non-string,
 * or a string whose UTF-16 length already exceeds the byte limit.
 */
function checkToken(token, maxLength) {
  if (typeof token !== 'string') throw new JwtError('ERR_JWS_INVALID', 'the token must be a string');
  if (token.length > maxLength) throw new JwtError('ERR_JWS_INVALID', 'invalid JWS: token exceeds the length limit');
}

/** `{now}` → seconds; the core refuses anything but a whole, non-negative number. */
function when(options) {
  const now = options?.now;
  return now === undefined ? nowSeconds() : now;
}

/**
 * WebCrypto parameters per algorithm, for the signature check `verifyAsync` hands the host.
 * Only ES256: pure-Rust P-256 in wasm is 4x slower than the host, while Ed25519 in wasm
 * (ed25519-dalek's 32-bit backend) is faster than a WebCrypto round trip (README, Benchmarks).
 */
const HOST_ALGORITHMS = {
  ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
};

/**
 * Verifies tokens against a key set: signature (algorithm from the key, never the token),
 * `typ`, `exp`/`nbf`/`iat` with an explicit leeway, `iss`, `aud`.
 * @example
 * import { Verifier } from 'edge-jwt';
 * const verifier = new Verifier(jwks, { issuer: 'https://auth.example', audience: 'https://api.example' });
 * const claims = verifier.verify(token); // throws JwtError
 */
export class Verifier {
  #inner;
  #maxTokenLength;
  #jwks;
  /** Key index → Promise of a CryptoKey, or of null when the host cannot use that key. */
  #hostKeys = new Map();

  constructor(jwks, options = {}) {
    const text = jwksText(jwks);
    this.#inner = call(() => new wasm.WasmVerifier(text, options));
    this.#jwks = JSON.parse(text); // valid: the core has just parsed it
    const max = options?.maxTokenLength;
    this.#maxTokenLength = typeof max === 'number' ? max : DEFAULT_MAX_TOKEN_LENGTH;
  }

  /** Verifies `token` at `now` (seconds; default: the current time) and returns its claims. */
  verify(token, options) {
    checkToken(token, this.#maxTokenLength);
    return JSON.parse(call(() => this.#inner.verify(token, when(options))));
  }

  /**
   * Like `verify`, but an ES256 signature is checked by the host's WebCrypto, which is native
   * and 4x faster than the wasm P-256 code; every other rule still runs in the core. EdDSA and
   * HS256 are already fastest in wasm, so they, and hosts without WebCrypto, use `verify`.
   * @example
   * const claims = await verifier.verifyAsync(token);
   */
  async verifyAsync(token, options) {
    checkToken(token, this.#maxTokenLength);
    const job = call(() => this.#inner.signatureJob(token));
    const host = HOST_ALGORITHMS[job.alg];
    const subtle = globalThis.crypto?.subtle;
    if (!host || !subtle) return this.verify(token, options);
    for (const index of job.keys) {
      const key = await this.#hostKey(index, host, subtle);
      if (key === null) return this.verify(token, options);
      if (await subtle.verify(host.verify, key, job.signature, job.input)) {
        return JSON.parse(call(() => this.#inner.verifyWithHostSignature(token, when(options), index)));
      }
    }
    throw new JwtError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
  }

  #hostKey(index, host, subtle) {
    let key = this.#hostKeys.get(index);
    if (!key) {
      // The key material as given (the core has checked it); metadata left to the core.
      const position = this.#inner.keyPosition(index);
      const { kty, crv, x, y } = Array.isArray(this.#jwks.keys) ? this.#jwks.keys[position] : this.#jwks;
      key = subtle.importKey('jwk', { kty, crv, x, y }, host.import, false, ['verify']).catch(() => null);
      this.#hostKeys.set(index, key);
    }
    return key;
  }

  /**
   * Verifies `token`, then checks the issuer's revocation list in a Workers KV binding (or any
   * object with an async `get(key)`). A KV that cannot be read fails closed
   * (`ERR_STORE_UNAVAILABLE`).
   */
  async verifyNotRevoked(token, kv, options) {
    checkToken(token, this.#maxTokenLength);
    if (!kv || typeof kv.get !== 'function') {
      throw new JwtError('ERR_INVALID_OPTION', 'kv must be a KV namespace binding');
    }
    try {
      return JSON.parse(await this.#inner.verifyNotRevoked(token, when(options), kv));
    } catch (error) {
      rethrow(error);
    }
  }

  /**
   * A verifier whose keys come from a RemoteJwks: refetched (within its cooldown) when a token
   * names an unknown `kid`. Its `verify` is async.
   */
  static fromRemote(remoteJwks, options = {}) {
    return new RemoteVerifier(remoteJwks, options);
  }
}

class RemoteVerifier {
  #jwks;
  #options;
  #text;
  #verifier;

  constructor(jwks, options) {
    if (!(jwks instanceof RemoteJwks)) throw new JwtError('ERR_INVALID_OPTION', 'expected a RemoteJwks');
    this.#jwks = jwks;
    this.#options = options;
  }

  async #current(force) {
    const text = await this.#jwks.get({ force });
    if (text !== this.#text) {
      this.#verifier = new Verifier(text, this.#options);
      this.#text = text;
    }
    return this.#verifier;
  }

  async verify(token, options) {
    const verifier = await this.#current(false);
    try {
      return await verifier.verifyAsync(token, options);
    } catch (error) {
      if (error?.code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      const before = this.#text;
      const refreshed = await this.#current(true);
      if (this.#text === before) throw error;
      return refreshed.verifyAsync(token, options);
    }
  }

  async verifyNotRevoked(token, kv, options) {
    await this.verify(token, options);
    return this.#verifier.verifyNotRevoked(token, kv, options);
  }
}

/**
 * A JWKS fetched from a URL and cached for `cacheMaxAge` seconds; a forced refetch (unknown
 * `kid`) happens at most once per `cooldown` seconds.
 * @example
 * const jwks = new RemoteJwks('https://auth.example/.well-known/jwks.json');
 * const claims = await Verifier.fromRemote(jwks, { issuer }).verify(token);
 */
export class RemoteJwks {
  #url;
  #maxAge;
  #cooldown;
  #fetch;
  #text;
  #fetchedAt = -Infinity;
  #pending;

  constructor(url, { cacheMaxAge = 600, cooldown = 30, fetch: fetchImpl } = {}) {
    this.#url = String(url);
    this.#maxAge = cacheMaxAge * 1000;
    this.#cooldown = cooldown * 1000;
    this.#fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
  }

  /** The JWKS as JSON text, from the cache when it is fresh enough. */
  async get({ force = false } = {}) {
    const age = Date.now() - this.#fetchedAt;
    const stale = this.#text === undefined || age > this.#maxAge || (force && age > this.#cooldown);
    if (!stale) return this.#text;
    this.#pending ??= this.#load().finally(() => { this.#pending = undefined; });
    return this.#pending;
  }

  async #load() {
    let response;
    try {
      response = await this.#fetch(this.#url, { headers: { accept: 'application/json' } });
    } catch (error) {
      throw new JwtError('ERR_JWKS_INVALID', `fetching the JWKS failed: ${error?.message ?? error}`);
    }
    if (!response.ok) throw new JwtError('ERR_JWKS_INVALID', `fetching the JWKS answered ${response.status}`);
    const text = await response.text();
    this.#text = text;
    this.#fetchedAt = Date.now();
    return text;
  }
}

/**
 * The claims of a token, NOT verified: for showing in a UI, never for deciding access.
 * @example
 * const { sub, exp } = decode(accessToken);
 */
export function decode(token) {
  checkToken(token, DEFAULT_MAX_TOKEN_LENGTH);
  return JSON.parse(call(() => wasm.decode(token)));
}

/**
 * Whether a token (not verified) has expired at `now`, with `leeway` seconds (default 0), by
 * the verifier's own rule.
 * @example
 * if (isExpired(accessToken, { leeway: 30 })) await refresh();
 */
export function isExpired(token, { leeway = 0, now } = {}) {
  checkToken(token, DEFAULT_MAX_TOKEN_LENGTH);
  return call(() => wasm.isExpired(token, leeway, when({ now })));
}

/**
 * Seconds until a token (not verified) expires: `exp - now`, zero or less once expired.
 * @example
 * setTimeout(refresh, (expiresIn(accessToken) - 30) * 1000);
 */
export function expiresIn(token, { now } = {}) {
  checkToken(token, DEFAULT_MAX_TOKEN_LENGTH);
  return call(() => wasm.expiresIn(token, when({ now })));
}

/** Storage used when none is given: this page or process only. */
class MemoryStorage {
  #items = new Map();
  getItem(key) { return this.#items.has(key) ? this.#items.get(key) : null; }
  setItem(key, value) { this.#items.set(key, String(value)); }
  removeItem(key) { this.#items.delete(key); }
}

/**
 * A browser session with an edge-jwt issuer: holds the access/refresh pair, refreshes it
 * before the access token expires, and makes exactly one refresh request when many callers
 * need one at once. Events: `refresh` (with `tokens`), `end` (with `reason`).
 * @example
 * const session = new Session({ issuer: 'https://auth.example', tokens: await loginResponse.json(),
 *                               storage: localStorage });
 * const res = await session.fetch('/api/me');      // Authorization: Bearer …, refreshed as needed
 * session.addEventListener('end', (e) => showLogin(e.reason));
 */
export class Session extends EventTarget {
  #issuer;
  #storage;
  #key;
  #skew;
  #fetch;
  #now;
  #inflight;

  constructor({ issuer, tokens, storage, storageKey = 'edge-jwt:session', skew = 30, fetch: fetchImpl, now } = {}) {
    super();
    if (typeof issuer !== 'string' && !(issuer instanceof URL)) {
      throw new JwtError('ERR_INVALID_OPTION', 'issuer must be the issuer URL');
    }
    this.#issuer = String(issuer).replace(/\/$/, '');
    this.#storage = storage ?? new MemoryStorage();
    this.#key = storageKey;
    this.#skew = skew;
    this.#fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    this.#now = now ?? nowSeconds;
    if (tokens) this.#store(tokens);
  }

  #load() {
    try {
      const pair = JSON.parse(this.#storage.getItem(this.#key) ?? 'null');
      return pair && typeof pair.access_token === 'string' && typeof pair.refresh_token === 'string' ? pair : null;
    } catch {
      return null;
    }
  }

  #store(tokens) {
    const pair = { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
    this.#storage.setItem(this.#key, JSON.stringify(pair));
    return pair;
  }

  #fresh(pair) {
    return pair && !isExpired(pair.access_token, { leeway: 0, now: this.#now() + this.#skew });
  }

  /** The stored pair `{access_token, refresh_token}`, or null (a copy, for display). */
  get tokens() {
    const pair = this.#load();
    return pair && { ...pair };
  }

  /** Whether the session holds tokens (it may still need a refresh). */
  get active() {
    return this.#load() !== null;
  }

  /** The current access token, refreshed first when it expires within the skew. */
  async accessToken() {
    const pair = this.#load();
    if (!pair) throw new JwtError('ERR_SESSION_ENDED', 'no session');
    if (this.#fresh(pair)) return pair.access_token;
    return (await this.refresh()).access_token;
  }

  /**
   * Refreshes now. Concurrent calls share one request (and, across tabs sharing storage, one
   * Web Lock where the browser has them); a failure rejects every caller.
   */
  refresh({ force = false } = {}) {
    this.#inflight ??= this.#locked(() => this.#refreshOnce(force)).finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  #locked(task) {
    const locks = globalThis.navigator?.locks;
    return locks ? locks.request(`edge-jwt:${this.#key}`, task) : task();
  }

  async #refreshOnce(force) {
    const pair = this.#load();
    if (!pair) throw new JwtError('ERR_SESSION_ENDED', 'no session');
    // Another tab may have refreshed while this one waited for the lock.
    if (!force && this.#fresh(pair)) return pair;
    const response = await this.#fetch(`${this.#issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }).toString(),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new JwtError(body.code ?? 'ERR_REFRESH_FAILED',
        body.error_description ?? `refresh failed with HTTP ${response.status}`);
      error.error = body.error ?? 'server_error';
      error.status = response.status;
      if (error.error === 'invalid_grant') this.#end(error.error);
      throw error;
    }
    const stored = this.#store(body);
    const event = new Event('refresh');
    event.tokens = stored;
    this.dispatchEvent(event);
    return stored;
  }

  #end(reason) {
    this.#storage.removeItem(this.#key);
    const event = new Event('end');
    event.reason = reason;
    this.dispatchEvent(event);
  }

  /** `fetch` with `Authorization: Bearer …`; on a 401 it refreshes once and retries once. */
  async fetch(input, init = {}) {
    const send = (token) => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return this.#fetch(input, { ...init, headers });
    };
    const response = await send(await this.accessToken());
    if (response.status !== 401) return response;
    const { access_token } = await this.refresh({ force: true });
    return send(access_token);
  }

  /** Logs out: revokes the session at the issuer (RFC 7009) and clears storage. */
  async end() {
    const pair = this.#load();
    if (pair) {
      await this.#fetch(`${this.#issuer}/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: pair.refresh_token }).toString(),
      }).catch(() => undefined);
    }
    this.#end('logout');
  }
}
