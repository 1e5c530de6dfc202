// A browser session with an edge-jwt issuer: the pair, its refresh, its end.
import { JwtError } from './errors.mjs';
import { nowSeconds } from './input.mjs';
import { isExpired } from './unverified.mjs';

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
