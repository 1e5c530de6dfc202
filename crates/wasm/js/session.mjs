// A browser session with an edge-jwt issuer: the pair, its refresh, its end.
import { DpopKey } from './dpop-key.mjs';
import { InvalidOption, JwtError, RefreshFailed, RevokeFailed, SessionEnded } from './errors.mjs';
import { nowSeconds } from './clock.mjs';
import { expiryOf } from './token-expiry.mjs';

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
 * @example
 * // DPoP: the tokens are bound to this browser's non-extractable key (login sent its thumbprint).
 * const session = new Session({ issuer: 'https://auth.example', tokens, dpop: true });
 * const res = await session.fetch('https://api.example/me'); // Authorization: DPoP …, DPoP: <proof>
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
  /** Whether the session proves possession of a DPoP key (`dpop` option). */
  #wantsDpop = false;
  /** The DPoP key (a promise of it), loaded on first use when `dpop` is `true`. */
  #dpop = null;
  /** The latest `DPoP-Nonce` each origin gave (RFC 9449 §8). */
  #nonces = new Map();
  /** Bumped by every end: a refresh that started before an end never stores its answer. */
  #generation = 0;

  constructor({ issuer, tokens, storage, storageKey = 'edge-jwt:session', skew = 30, fetch: fetchImpl, now, origins = [], dpop = false } = {}) {
    super();
    if (typeof issuer !== 'string' && !(issuer instanceof URL)) {
      throw new InvalidOption('issuer must be the issuer URL');
    }
    this.#issuer = String(issuer).replace(/\/$/, '');
    if (!Array.isArray(origins)) throw new InvalidOption('origins must be an array of origins');
    // The bearer token goes to the issuer's origin and to these, never elsewhere.
    this.#origins = new Set([this.#issuer, ...origins].map((o) => originOf(o)));
    this.#storage = storage ?? new MemoryStorage();
    this.#key = storageKey;
    this.#skew = skew;
    this.#fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    this.#now = now ?? nowSeconds;
    if (dpop instanceof DpopKey) this.#dpop = Promise.resolve(dpop);
    else if (dpop !== true && dpop !== false) throw new InvalidOption('dpop must be true, false or a DpopKey');
    this.#wantsDpop = dpop !== false;
    if (tokens) this.#store(tokens);
  }

  /** The session's DPoP key, or null for a bearer session. */
  #dpopKey() {
    if (!this.#wantsDpop) return null;
    // A key that could not be had (IndexedDB refused) is tried again by the next request.
    this.#dpop ??= DpopKey.load().catch((error) => {
      this.#dpop = null;
      throw error;
    });
    return this.#dpop;
  }

  /**
   * A proof for a request, with the origin's latest nonce. Dated by the real clock, not
   * `now`: the server checks `iat` against its own.
   */
  async #proof(method, url, accessToken) {
    const key = await this.#dpopKey();
    return key.proof(method, url, { accessToken, nonce: this.#nonces.get(originOf(url)) ?? undefined });
  }

  /** Remembers a `DPoP-Nonce` an origin answered with; whether it gave a new one. */
  #noteNonce(url, response) {
    const nonce = response.headers?.get?.('DPoP-Nonce');
    if (!nonce || this.#nonces.get(originOf(url)) === nonce) return false;
    this.#nonces.set(originOf(url), nonce);
    return true;
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
    if (/^dpop$/i.test(tokens.token_type ?? '')) pair.token_type = 'DPoP';
    this.#storage.setItem(this.#key, JSON.stringify(pair));
    return pair;
  }

  #fresh(pair) {
    return pair && expiryOf(pair.access_token) > this.#now() + this.#skew;
  }

  /** The stored pair `{access_token, refresh_token, token_type?}`, or null (a copy, for display). */
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
    if (!pair) throw new SessionEnded('no session');
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
    if (!pair) throw new SessionEnded('no session');
    // Another tab may have refreshed while this one waited for the lock.
    if (!force && this.#fresh(pair)) return pair;
    const url = `${this.#issuer}/token`;
    const send = async () => {
      const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      if (this.#wantsDpop) headers.DPoP = await this.#proof('POST', url);
      return this.#fetch(url, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: pair.refresh_token }).toString(),
      });
    };
    let response = await send();
    // RFC 9449 §8: the issuer asks for its nonce; one retry with it.
    if (this.#wantsDpop && this.#noteNonce(url, response) && response.status === 400) {
      const error = await response.clone().json().catch(() => ({}));
      if (error.error === 'use_dpop_nonce') response = await send();
    }
    const body = await response.json().catch(() => ({}));
    if (generation !== this.#generation) {
      throw new SessionEnded('the session ended while it was being refreshed');
    }
    if (!response.ok) {
      const error = new JwtError(body.code ?? RefreshFailed.code,
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
   * `fetch` with the access token for the issuer's origin and the `origins` given:
   * `Authorization: Bearer …`, or for a DPoP-bound token `Authorization: DPoP …` with a fresh
   * proof (`DPoP` header) for this method and URL. On a 401 from one of them it refreshes once
   * and retries once (a 401 asking for a DPoP nonce is retried with it, without a refresh).
   * Any other URL is fetched as is: no token, no refresh.
   */
  async fetch(input, init = {}) {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input?.url;
    if (!this.#origins.has(originOf(url))) return this.#fetch(input, init);
    const method = fetchMethod(init.method ?? (input instanceof Request ? input.method : 'GET'));
    const absolute = new URL(url, globalThis.location?.href).href;
    const send = async (pair) => {
      const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
      if (pair.token_type === 'DPoP') {
        headers.set('Authorization', `DPoP ${pair.access_token}`);
        headers.set('DPoP', await this.#proof(method, absolute, pair.access_token));
      } else {
        headers.set('Authorization', `Bearer ${pair.access_token}`);
      }
      return this.#fetch(input, { ...init, headers });
    };
    const current = async () => {
      await this.accessToken();
      const pair = this.#load();
      if (!pair) throw new SessionEnded('the session ended');
      return pair;
    };
    let response = await send(await current());
    if (response.status !== 401) return response;
    if (this.#wantsDpop && this.#noteNonce(absolute, response)
        && /error="use_dpop_nonce"/.test(response.headers.get('WWW-Authenticate') ?? '')) {
      response = await send(await current());
      if (response.status !== 401) return response;
    }
    return send(await this.refresh({ force: true }));
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
        const url = `${this.#issuer}/revoke`;
        const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
        // A bound session's refresh token is revoked only with a proof by its key.
        if (this.#wantsDpop) headers.DPoP = await this.#proof('POST', url);
        response = await this.#fetch(url, {
          method: 'POST',
          headers,
          body: new URLSearchParams({ token: pair.refresh_token }).toString(),
        });
      } catch (error) {
        response = { ok: false, status: 0, statusText: String(error?.message ?? error) };
      }
      if (!response.ok) {
        const error = new RevokeFailed(`the issuer could not revoke the session (HTTP ${response.status}); it stays valid there until it expires: call error.retry() to try again`);
        error.status = response.status;
        error.retry = revoke;
        throw error;
      }
    };
    await revoke();
  }
}

/** The Fetch standard normalizes only these methods' case; any other is sent as written. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The method exactly as `fetch` will send it (the proof's `htm` must be the same). */
function fetchMethod(method) {
  const upper = String(method).toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : String(method);
}

/** The origin of a URL, resolved against the page's location where there is one. */
function originOf(url) {
  try {
    return new URL(String(url), globalThis.location?.href).origin;
  } catch {
    return null;
  }
}
