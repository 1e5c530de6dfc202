// Key sets from the network: a remote JWKS cached (in the isolate, and across a Worker's
// isolates through the Cache API) and never poisoned by a bad answer; issuer discovery.
import { DiscoveryFailed, InvalidOption, JwksFetchFailed, JwksInvalid, JwtError } from './errors.mjs';

export function isUrl(text) {
  try {
    return Boolean(new URL(text));
  } catch {
    return false;
  }
}

/** The issuer's metadata: OpenID Connect discovery, then RFC 8414; checked as RFC 8414 §3.3 says. */
export async function discover(issuer, fetchImpl, timeout) {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  const places = [
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  let text;
  for (const place of places) {
    try {
      text = await fetchBounded(fetchImpl, place, timeout, "the issuer's metadata", DiscoveryFailed);
      break;
    } catch (error) {
      // Only "not here" moves on to the next place; a redirect, a timeout or an outage does not.
      if (error.status === undefined || error.status >= 500) throw error;
      if (place === places.at(-1)) {
        const failed = new DiscoveryFailed(`${error.message}; tried ${places.join(' and ')}`);
        failed.status = error.status;
        throw failed;
      }
    }
  }
  let metadata;
  try {
    metadata = JSON.parse(text);
  } catch {
    throw new DiscoveryFailed(`the issuer's metadata is not JSON`);
  }
  if (!metadata || typeof metadata !== 'object' || metadata.issuer !== issuer) {
    throw new DiscoveryFailed(`the metadata's issuer (${JSON.stringify(metadata?.issuer)}) is not ${JSON.stringify(issuer)}: RFC 8414 §3.3 requires them to be identical`);
  }
  if (typeof metadata.jwks_uri !== 'string' || !isUrl(metadata.jwks_uri)) {
    throw new DiscoveryFailed("the issuer's metadata has no jwks_uri: it publishes no keys to verify with");
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
  #sharedSecret;
  /** The Cache API entry's private name, when the set is shared across isolates (made on first use). */
  #sharedKey;
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
   * @param {string} [options.sharedCacheSecret] a secret of this deployment (16 characters or
   *   more): shares the set across a Worker's isolates through the Cache API, under a name only
   *   this deployment can compute
   */
  constructor(url, { cacheMaxAge = 600, cooldown = 30, timeout = 5, maxStale = 3600, fetch: fetchImpl, sharedCacheSecret } = {}) {
    for (const [name, value] of Object.entries({ cacheMaxAge, cooldown, timeout, maxStale })) {
      if (typeof value !== 'number' || !(value >= 0)) {
        throw new InvalidOption(`${name} must be a number of seconds, 0 or more`);
      }
    }
    if (sharedCacheSecret !== undefined && (typeof sharedCacheSecret !== 'string' || sharedCacheSecret.length < 16)) {
      throw new InvalidOption('sharedCacheSecret must be a string of 16 characters or more, secret to this deployment (a Worker secret, say)');
    }
    this.#url = String(url);
    this.#maxAge = cacheMaxAge * 1000;
    this.#cooldown = cooldown * 1000;
    this.#timeout = timeout * 1000;
    this.#maxStale = maxStale * 1000;
    this.#fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    this.#sharedSecret = sharedCacheSecret;
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
      if (this.#sharedSecret !== undefined) this.#sharedKey ??= sharedCache.key(this.#url, this.#sharedSecret);
      const shared = force ? undefined : await sharedCache.get(this.#sharedKey, this.#maxAge);
      const info = {};
      const text = shared?.text ?? await fetchBounded(this.#fetch, this.#url, this.#timeout, 'the JWKS', undefined, info);
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new JwksInvalid('the JWKS URL did not answer JSON');
      }
      if (!parsed || !Array.isArray(parsed.keys)) {
        throw new JwksInvalid('the JWKS URL did not answer a key set ({"keys": [...]})');
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
        await sharedCache.put(this.#sharedKey, text, this.#fetchedAt, this.#ttl);
      }
      return text;
    } catch (error) {
      this.#error = error instanceof JwtError ? error : new JwksInvalid(String(error?.message ?? error));
      throw this.#error;
    }
  }
}

/**
 * Key sets shared by every isolate of a Worker through the Cache API (`caches.default`), a no-op
 * where there is none (Node, Deno, browsers: the in-isolate cache is all). Every Worker on the
 * zone shares `caches.default`, so an entry is kept under a private name, a reserved host and a
 * hash of the JWKS URL and the deployment's secret: another Worker cannot plant a key set where
 * this one looks. Only sets that were accepted are stored; an entry is used for no longer than
 * this verifier's `cacheMaxAge`. Failures to read or write it are ignored: it only saves fetches.
 */
const sharedCache = {
  store() {
    return globalThis.caches?.default;
  },
  /** The entry's private name (a promise), or undefined where there is no Cache API. */
  key(url, secret) {
    if (!this.store() || !globalThis.crypto?.subtle) return undefined;
    const named = new TextEncoder().encode(`edge-jwt jwks cache\n${secret}\n${url}`);
    return crypto.subtle.digest('SHA-256', named).then((digest) => {
      const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      return `https://jwks-cache.edge-jwt.invalid/${hex}`;
    });
  },
  async get(key, maxAge) {
    if (!key) return undefined;
    try {
      const hit = await this.store()?.match(await key);
      if (!hit) return undefined;
      const fetchedAt = Number(hit.headers.get('x-edge-jwt-fetched-at'));
      const ttl = Math.min(Number(hit.headers.get('x-edge-jwt-ttl')), maxAge);
      const age = Date.now() - fetchedAt;
      if (!(fetchedAt > 0 && ttl > 0) || age < 0 || age > ttl) return undefined;
      return { text: await hit.text(), fetchedAt, ttl };
    } catch {
      return undefined;
    }
  },
  async put(key, text, fetchedAt, ttl) {
    if (!key) return;
    try {
      await this.store()?.put(await key, new Response(text, { headers: {
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

async function fetchBounded(fetchImpl, url, timeout, what, Failure = JwksFetchFailed, info = {}) {
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = controller && setTimeout(() => controller.abort(), timeout);
  const fail = (why) => new Failure(`fetching ${what} (${url}) failed: ${why}`);
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
