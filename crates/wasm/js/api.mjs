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

/**
 * `{now}` → seconds: a number is used as given (the core refuses anything but a whole,
 * non-negative one); anything else (absent, `null`) is the current time.
 */
function when(options) {
  const now = options?.now;
  return typeof now === 'number' ? now : nowSeconds();
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

  /**
   * A verifier for the tokens of `issuer`, found by discovery: its OpenID Connect metadata
   * (`/.well-known/openid-configuration`), else its RFC 8414 metadata
   * (`/.well-known/oauth-authorization-server`). The metadata's `issuer` must be exactly
   * `issuer` (RFC 8414 §3.3), its `jwks_uri` gives the keys (a RemoteJwks with
   * `remoteOptions`), and `issuer` becomes the expected `iss` unless `options.issuer` is set.
   * Redirects are not followed. Fails with `ERR_DISCOVERY_FAILED`.
   * @example
   * const verifier = await Verifier.fromIssuer('https://auth.example', { audience: 'https://api.example' });
   * const claims = await verifier.verify(token);
   */
  static async fromIssuer(issuer, options = {}, remoteOptions = {}) {
    if (typeof issuer !== 'string' || !isUrl(issuer)) {
      throw new JwtError('ERR_INVALID_OPTION', 'issuer must be the issuer URL, as a string');
    }
    const fetchImpl = remoteOptions.fetch ?? ((...args) => globalThis.fetch(...args));
    const timeout = (remoteOptions.timeout ?? 5) * 1000;
    const metadata = await discover(issuer, fetchImpl, timeout);
    const jwks = new RemoteJwks(metadata.jwks_uri, remoteOptions);
    return new RemoteVerifier(jwks, { issuer, ...options });
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
    // A fetched set is cached only if a verifier with these options can use it.
    let built;
    const accept = (text) => { built = { text, verifier: new Verifier(text, this.#options) }; };
    const text = await this.#jwks.get({ force, accept });
    if (text !== this.#text) {
      this.#verifier = built?.text === text ? built.verifier : new Verifier(text, this.#options);
      this.#text = text;
    }
    return this.#verifier;
  }

  /** Runs `check` with the current keys; on an unknown `kid`, once more after a refetch. */
  async #withKeys(check) {
    const verifier = await this.#current(false);
    try {
      return await check(verifier);
    } catch (error) {
      if (error?.code !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      const before = this.#text;
      const refreshed = await this.#current(true);
      if (this.#text === before) throw error;
      return check(refreshed);
    }
  }

  async verify(token, options) {
    return this.#withKeys((verifier) => verifier.verifyAsync(token, options));
  }

  /** `verify` and the revocation list's check, with one signature check. */
  async verifyNotRevoked(token, kv, options) {
    return this.#withKeys((verifier) => verifier.verifyNotRevoked(token, kv, options));
  }
}

function isUrl(text) {
  try {
    return Boolean(new URL(text));
  } catch {
    return false;
  }
}

/** The issuer's metadata: OpenID Connect discovery, then RFC 8414; checked as RFC 8414 §3.3 says. */
async function discover(issuer, fetchImpl, timeout) {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  const places = [
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  let text;
  for (const place of places) {
    try {
      text = await fetchBounded(fetchImpl, place, timeout, "the issuer's metadata", 'ERR_DISCOVERY_FAILED');
      break;
    } catch (error) {
      // Only "not here" moves on to the next place; a redirect, a timeout or an outage does not.
      if (error.status === undefined || error.status >= 500 || place === places.at(-1)) throw error;
    }
  }
  let metadata;
  try {
    metadata = JSON.parse(text);
  } catch {
    throw new JwtError('ERR_DISCOVERY_FAILED', `the issuer's metadata is not JSON`);
  }
  if (!metadata || typeof metadata !== 'object' || metadata.issuer !== issuer) {
    throw new JwtError('ERR_DISCOVERY_FAILED',
      `the metadata's issuer (${JSON.stringify(metadata?.issuer)}) is not ${JSON.stringify(issuer)}: RFC 8414 §3.3 requires them to be identical`);
  }
  if (typeof metadata.jwks_uri !== 'string' || !isUrl(metadata.jwks_uri)) {
    throw new JwtError('ERR_DISCOVERY_FAILED', "the issuer's metadata has no jwks_uri: it publishes no keys to verify with");
  }
  return metadata;
}

/** Largest key set body read, in bytes. */
const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * A JWKS fetched from a URL and cached for `cacheMaxAge` seconds; a forced refetch (unknown
 * `kid`) happens at most once per `cooldown` seconds. An answer replaces the cached set only
 * once it has been parsed into a usable key set; when a refetch fails (network, status, a body
 * that is not a key set), the last good set keeps being served for up to `maxStale` seconds
 * past its age, and the refetch is tried again after the cooldown. Each fetch has a `timeout`,
 * reads at most 1 MiB, and never follows a redirect.
 * @example
 * const jwks = new RemoteJwks('https://auth.example/.well-known/jwks.json', { timeout: 5 });
 * const claims = await Verifier.fromRemote(jwks, { issuer }).verify(token);
 */
export class RemoteJwks {
  #url;
  #maxAge;
  #cooldown;
  #timeout;
  #maxStale;
  #fetch;
  #text;
  #fetchedAt = -Infinity;
  /** How long the current set is fresh (ms): the answer's max-age within the bounds. */
  #ttl = 0;
  #attemptedAt = -Infinity;
  #error;
  #pending;

  /**
   * @param {string | URL} url
   * @param {object} [options]
   * @param {number} [options.cacheMaxAge=600] seconds a fetched set is used before a refetch
   * @param {number} [options.cooldown=30] seconds between two fetches (unknown `kid`, failures)
   * @param {number} [options.timeout=5] seconds a fetch may take
   * @param {number} [options.maxStale=3600] seconds past `cacheMaxAge` the last good set is
   *   still served while refetches fail
   */
  constructor(url, { cacheMaxAge = 600, cooldown = 30, timeout = 5, maxStale = 3600, fetch: fetchImpl } = {}) {
    for (const [name, value] of Object.entries({ cacheMaxAge, cooldown, timeout, maxStale })) {
      if (typeof value !== 'number' || !(value >= 0)) {
        throw new JwtError('ERR_INVALID_OPTION', `${name} must be a number of seconds, 0 or more`);
      }
    }
    this.#url = String(url);
    this.#maxAge = cacheMaxAge * 1000;
    this.#cooldown = cooldown * 1000;
    this.#timeout = timeout * 1000;
    this.#maxStale = maxStale * 1000;
    this.#fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
  }

  /**
   * The JWKS as JSON text, from the cache when it is fresh enough. `accept(text)` may refuse a
   * fetched set by throwing (the verifier's own check, with its options); a refused set is
   * never cached.
   */
  async get({ force = false, accept } = {}) {
    const now = Date.now();
    const age = now - this.#fetchedAt;
    const due = this.#text === undefined || age > this.#ttl || force;
    const cooling = now - this.#attemptedAt < this.#cooldown;
    if (!due || (cooling && this.#text !== undefined && (force || this.#servable(now)))) return this.#text;
    if (cooling && this.#error && !this.#pending) return this.#fallback(now);
    this.#pending ??= this.#load(accept, force).finally(() => { this.#pending = undefined; });
    try {
      return await this.#pending;
    } catch {
      return this.#fallback(Date.now());
    }
  }

  #servable(now) {
    return this.#text !== undefined && now - this.#fetchedAt <= this.#ttl + this.#maxStale;
  }

  /** The last good set while it may still be served; otherwise the last failure. */
  #fallback(now) {
    if (this.#servable(now)) return this.#text;
    throw this.#error;
  }

  async #load(accept, force) {
    this.#attemptedAt = Date.now();
    try {
      // Another isolate may have fetched it: the Cache API (Workers) shares it across them.
      const shared = force ? undefined : await sharedCache.get(this.#url);
      const info = {};
      const text = shared?.text ?? await fetchBounded(this.#fetch, this.#url, this.#timeout, 'the JWKS', undefined, info);
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new JwtError('ERR_JWKS_INVALID', 'the JWKS URL did not answer JSON');
      }
      if (!parsed || !Array.isArray(parsed.keys)) {
        throw new JwtError('ERR_JWKS_INVALID', 'the JWKS URL did not answer a key set ({"keys": [...]})');
      }
      accept?.(text);
      this.#text = text;
      this.#error = undefined;
      if (shared) {
        this.#fetchedAt = shared.fetchedAt;
        this.#ttl = shared.ttl;
      } else {
        // The answer's own max-age, within [cooldown, cacheMaxAge].
        this.#ttl = Math.min(Math.max((info.maxAge ?? Infinity) * 1000, this.#cooldown), this.#maxAge);
        this.#fetchedAt = Date.now();
        await sharedCache.put(this.#url, text, this.#fetchedAt, this.#ttl);
      }
      return text;
    } catch (error) {
      this.#error = error instanceof JwtError ? error : new JwtError('ERR_JWKS_INVALID', String(error?.message ?? error));
      throw this.#error;
    }
  }
}

/**
 * Key sets shared by every isolate of a Worker through the Cache API (`caches.default`), keyed
 * by the JWKS URL; a no-op where there is none (Node, Deno, browsers: the in-isolate cache is
 * all). Only sets that were accepted are stored. Failures to read or write it are ignored: it
 * only saves fetches.
 */
const sharedCache = {
  store() {
    return globalThis.caches?.default;
  },
  async get(url) {
    try {
      const hit = await this.store()?.match(url);
      if (!hit) return undefined;
      const fetchedAt = Number(hit.headers.get('x-edge-jwt-fetched-at'));
      const ttl = Number(hit.headers.get('x-edge-jwt-ttl'));
      if (!(fetchedAt > 0 && ttl > 0) || Date.now() - fetchedAt > ttl) return undefined;
      return { text: await hit.text(), fetchedAt, ttl };
    } catch {
      return undefined;
    }
  },
  async put(url, text, fetchedAt, ttl) {
    try {
      await this.store()?.put(url, new Response(text, { headers: {
        'content-type': 'application/json',
        'cache-control': `max-age=${Math.max(1, Math.floor((ttl - (Date.now() - fetchedAt)) / 1000))}`,
        'x-edge-jwt-fetched-at': String(fetchedAt),
        'x-edge-jwt-ttl': String(ttl),
      } }));
    } catch {
      // The shared cache only saves fetches; the set is cached in this isolate regardless.
    }
  },
};

async function fetchBounded(fetchImpl, url, timeout, what, code = 'ERR_JWKS_INVALID', info = {}) {
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = controller && setTimeout(() => controller.abort(), timeout);
  const fail = (why) => new JwtError(code, `fetching ${what} (${url}) failed: ${why}`);
  try {
    let response;
    try {
      response = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: controller?.signal });
    } catch (error) {
      throw fail(controller?.signal.aborted ? `no answer within ${timeout / 1000} s` : (error?.message ?? error));
    }
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      throw fail('it answered a redirect, which is not followed: give the final URL');
    }
    if (!response.ok) {
      const error = fail(`it answered HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    const maxAge = /(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)/i.exec(response.headers?.get?.('cache-control') ?? '');
    if (maxAge) info.maxAge = Number(maxAge[1]);
    const declared = Number(response.headers?.get?.('content-length'));
    if (declared > MAX_JWKS_BYTES) throw fail(`the answer is over ${MAX_JWKS_BYTES} bytes`);
    if (!response.body?.getReader) {
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw fail(`the answer is over ${MAX_JWKS_BYTES} bytes`);
      return text;
    }
    const reader = response.body.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_JWKS_BYTES) {
        reader.cancel().catch(() => undefined);
        throw fail(`the answer is over ${MAX_JWKS_BYTES} bytes`);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.byteLength; }
    return new TextDecoder().decode(bytes);
  } finally {
    if (timer) clearTimeout(timer);
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
 *                               origins: ['https://api.example'] });   // kept in memory
 * const res = await session.fetch('https://api.example/me'); // Authorization: Bearer …, refreshed as needed
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
  #origins;
  /** Bumped by every end: a refresh that started before an end never stores its answer. */
  #generation = 0;

  constructor({ issuer, tokens, storage, storageKey = 'edge-jwt:session', skew = 30, fetch: fetchImpl, now, origins = [] } = {}) {
    super();
    if (typeof issuer !== 'string' && !(issuer instanceof URL)) {
      throw new JwtError('ERR_INVALID_OPTION', 'issuer must be the issuer URL');
    }
    this.#issuer = String(issuer).replace(/\/$/, '');
    if (!Array.isArray(origins)) throw new JwtError('ERR_INVALID_OPTION', 'origins must be an array of origins');
    // The bearer token goes to the issuer's origin and to these, never elsewhere.
    this.#origins = new Set([this.#issuer, ...origins].map((o) => originOf(o)));
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
    const generation = this.#generation;
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
    if (generation !== this.#generation) {
      throw new JwtError('ERR_SESSION_ENDED', 'the session ended while it was being refreshed');
    }
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
    this.#generation++;
    this.#storage.removeItem(this.#key);
    const event = new Event('end');
    event.reason = reason;
    this.dispatchEvent(event);
  }

  /**
   * `fetch` with `Authorization: Bearer …` for the issuer's origin and the `origins` given;
   * on a 401 from one of them it refreshes once and retries once. Any other URL is fetched as
   * is: no token, no refresh.
   */
  async fetch(input, init = {}) {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input?.url;
    if (!this.#origins.has(originOf(url))) return this.#fetch(input, init);
    const send = (token) => {
      const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
      headers.set('Authorization', `Bearer ${token}`);
      return this.#fetch(input, { ...init, headers });
    };
    const response = await send(await this.accessToken());
    if (response.status !== 401) return response;
    const { access_token } = await this.refresh({ force: true });
    return send(access_token);
  }

  /**
   * Logs out: clears the session here at once (a refresh in flight stores nothing), then
   * revokes it at the issuer (RFC 7009). Rejects with `ERR_REVOKE_FAILED` when the issuer
   * could not be told: the tokens are gone from this page, but the session lives on at the
   * issuer until it expires, so tell the user, or retry with the returned `retry`.
   */
  async end() {
    const pair = this.#load();
    this.#end('logout');
    if (!pair) return;
    const revoke = async () => {
      let response;
      try {
        response = await this.#fetch(`${this.#issuer}/revoke`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: pair.refresh_token }).toString(),
        });
      } catch (error) {
        response = { ok: false, status: 0, statusText: String(error?.message ?? error) };
      }
      if (!response.ok) {
        const error = new JwtError('ERR_REVOKE_FAILED',
          `the issuer could not revoke the session (HTTP ${response.status}); it stays valid there until it expires: call error.retry() to try again`);
        error.status = response.status;
        error.retry = revoke;
        throw error;
      }
    };
    await revoke();
  }
}

/** The origin of a URL, resolved against the page's location where there is one. */
function originOf(url) {
  try {
    return new URL(String(url), globalThis.location?.href).origin;
  } catch {
    return null;
  }
}
