// Verifying tokens: the Verifier over a key set, and the verifier over a remote key set.
import * as wasm from './edge_jwt.js';
import { DpopReplayed, InvalidOption, JwsInvalid, NoMatchingKey, SignatureInvalid, call, rethrow } from './errors.mjs';
import { checkToken, jwksText, utf8, when } from './input.mjs';
import { WEBCRYPTO } from './host-crypto.mjs';
import { NODE_VERIFY, nodeCrypto, nodePublicKey } from './node-crypto.mjs';
import * as jobs from './jobs.mjs';
import { RemoteJwks, discover, isUrl } from './remote.mjs';
import { cacheFrom } from './token-cache.mjs';

/** `verifyAsync` calls of every verifier not yet settled (or settled and not yet taken). */
let inFlight = 0;
const leave = () => {
  inFlight -= 1;
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
  /** Key index → a CryptoKey (a Promise of it until imported), or null when the host cannot
   * use that key. */
  #hostKeys = new Map();
  /** Verified tokens (the `cache` option), or undefined. */
  #cache;
  /** Key index → node:crypto's verify key (a KeyObject and its algorithm's options), or null
   * when the host cannot use that key. */
  #nodeKeys = new Map();
  /** Whether `verify` hands signatures to node:crypto: the runtime has it, and the key set has
   * no symmetric key (HMAC is cheaper in wasm than the way to the host and back). */
  #viaNode;
  /** Whether every key is a shared secret (`oct`): signatures the core alone decides. */
  #secretsOnly;

  constructor(jwks, options = {}) {
    const text = jwksText(jwks);
    // `cache` is the JS layer's option; every other one is the core's.
    const { cache, ...coreOptions } = options && typeof options === 'object' ? options : {};
    this.#inner = call(() => new wasm.WasmVerifier(text, options && typeof options === 'object' ? coreOptions : options));
    this.#cache = cacheFrom(cache);
    this.#jwks = JSON.parse(text); // valid: the core has just parsed it
    this.#maxTokenLength = this.#inner.maxTokenLength;
    this.#secretsOnly = this.#keyList().every((key) => key?.kty === 'oct');
    this.#viaNode = nodeCrypto !== null && this.#keyList().every((key) => key?.kty !== 'oct');
  }

  /** The key set's JWKs, as given. */
  #keyList() {
    return Array.isArray(this.#jwks.keys) ? this.#jwks.keys : [this.#jwks];
  }

  /**
   * Verifies `token` at `now` (seconds; default: the current time) and returns its claims.
   * Where the runtime has node:crypto, an EdDSA, ES256 or RSA signature is checked by its
   * synchronous one-shot check on a key imported once; the core still parses the token, chooses
   * the key, refuses what hosts disagree on, and applies every other rule.
   */
  verify(token, options) {
    checkToken(token, this.#maxTokenLength);
    const now = when(options);
    const hit = this.#hit(token, now);
    if (hit) return hit;
    return this.#viaNodeCrypto(token, now) ?? this.#verified(token, call(() => this.#inner.verify(utf8(token), now)));
  }

  /**
   * The claims of `token` with its signature checked by node:crypto, where the runtime has it
   * and it does the token's algorithm; `undefined` otherwise (the caller's path decides).
   */
  #viaNodeCrypto(token, now) {
    if (!this.#viaNode) return undefined;
    const job = jobs.signatureJob(call(() => this.#inner.signatureJob(utf8(token), now)));
    return this.#settle(token, job, this.#nodeVerdict(job));
  }

  /**
   * A signature job's claims once a host has given its `valid` verdict on the signature: the
   * core's outcome of every other rule is released only then. `undefined` when the host could
   * not decide (the caller's path decides).
   */
  #settle(token, { claims, error }, valid) {
    if (valid === undefined) return undefined;
    if (!valid) throw new SignatureInvalid('signature verification failed');
    if (error) rethrow(error);
    return this.#verified(token, claims);
  }

  /**
   * Whether one of `keys` verifies `signature` over `input` with node:crypto; `undefined` where
   * it does not do `alg` or cannot import the key: the core decides.
   */
  #nodeVerdict({ alg, keys, input, signature }) {
    const params = NODE_VERIFY[alg];
    if (!params) return undefined;
    try {
      for (const index of keys) {
        const key = this.#nodeKey(index, params);
        if (key === null) return undefined;
        if (nodeCrypto.verify(params.hash, input, key, signature)) return true;
      }
      return false;
    } catch {
      // A node:crypto that lacks these options (workerd's, in part): the core decides, from
      // now on without asking it.
      this.#viaNode = false;
      return undefined;
    }
  }

  /** Key `index` as node:crypto's verify takes it with `params`' options (one algorithm per
   * key, so one object per key, made once), or null. */
  #nodeKey(index, params) {
    let key = this.#nodeKeys.get(index);
    if (key === undefined) {
      const keyObject = nodePublicKey(this.#material(index));
      key = keyObject && { key: keyObject, ...params.options };
      this.#nodeKeys.set(index, key);
    }
    return key;
  }

  /** Key `index`'s material as given (the core has checked it); metadata (`alg`, `use`,
   * `x5c`) left to the core, which has chosen this key's one algorithm. */
  #material(index) {
    const jwk = Array.isArray(this.#jwks.keys) ? this.#jwks.keys[this.#inner.keyPosition(index)] : this.#jwks;
    const { kty, crv, x, y, n, e } = jwk;
    return kty === 'RSA' ? { kty, n, e } : { kty, crv, x, y };
  }

  /** A cached token's claims once the core has checked its times again at `now`. */
  #hit(token, now) {
    const entry = this.#cache?.get(token);
    if (!entry) return undefined;
    try {
      call(() => this.#inner.checkTimes(entry.iat, entry.nbf, entry.exp, now));
    } catch (error) {
      this.#cache.delete(token);
      throw error;
    }
    return JSON.parse(entry.text); // a copy: the caller may change it
  }

  /** The claims of a token the core has just verified, kept if there is a cache. */
  #verified(token, text) {
    const claims = JSON.parse(text);
    this.#cache?.set(token, text, claims);
    return claims;
  }

  /**
   * Like `verify`, but an EdDSA (where the host has Ed25519), ECDSA (ES256, ES384) or RSA (RS*,
   * PS*) signature is checked by the host: where node:crypto is, synchronously when this is the
   * only verification in flight and on its thread pool when others are (so concurrent
   * verifications use every core); elsewhere by WebCrypto. Every other rule, and the choice of
   * key, still runs in the core, which also refuses before the host sees it a signature of the
   * wrong length and an Ed25519 signature hosts disagree on (small-order `R` or key, `S` not
   * below the group order). HS256 is checked in wasm, as by `verify`; hosts without either crypto
   * API use `verify`.
   * @example
   * const claims = await verifier.verifyAsync(token);
   */
  verifyAsync(token, options) {
    // Shared secrets only: the core decides an HMAC in wasm, no host is asked, so this is
    // `verify` itself (a signature job would only add the host's arrays).
    if (this.#secretsOnly) {
      try {
        return Promise.resolve(this.verify(token, options));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // Where node:crypto is: one verification at a time is checked at once, synchronously (never
    // slower than `verify`); while others are in flight, on node:crypto's thread pool, so that
    // concurrent verifications use every core.
    if (this.#viaNode && inFlight === 0) {
      let settled;
      try {
        checkToken(token, this.#maxTokenLength);
        const now = when(options);
        const claims = this.#hit(token, now) ?? this.#viaNodeCrypto(token, now);
        // undefined: node:crypto does not do this (workerd's, or an algorithm it lacks): the
        // host's WebCrypto decides below, never the wasm alone (which has no P-384).
        if (claims !== undefined) settled = Promise.resolve(claims);
      } catch (error) {
        settled = Promise.reject(error);
      }
      if (settled) {
        // Counted until the callers' reactions run (ours, attached first, runs first): a call
        // made before then overlaps this one.
        inFlight += 1;
        settled.then(leave, leave);
        return settled;
      }
    }
    return this.#verifyAsync(token, options);
  }

  async #verifyAsync(token, options) {
    checkToken(token, this.#maxTokenLength);
    const now = when(options);
    const hit = this.#hit(token, now);
    if (hit) return hit;
    const job = jobs.signatureJob(call(() => this.#inner.signatureJob(utf8(token), now)));
    // An HMAC: decided by the core already, never by a host.
    if (job.valid !== undefined) return this.#settle(token, job, job.valid);
    const pooled = this.#viaNode ? this.#settle(token, job, await this.#pooledVerdict(job)) : undefined;
    return pooled ?? this.#settle(token, job, await this.#hostVerdict(job)) ?? this.verify(token, { now });
  }

  /**
   * `#nodeVerdict` on node:crypto's thread pool (its callback form), counted in flight.
   */
  async #pooledVerdict({ alg, keys, input, signature }) {
    const params = NODE_VERIFY[alg];
    if (!params) return undefined;
    for (const index of keys) {
      const key = this.#nodeKey(index, params);
      if (key === null) return undefined;
      inFlight += 1;
      try {
        const valid = await new Promise((resolve, reject) => {
          nodeCrypto.verify(params.hash, input, key, signature,
            (failure, verdict) => (failure ? reject(failure) : resolve(verdict)));
        });
        if (valid) return true;
      } catch {
        this.#viaNode = false; // as in #nodeVerdict: the core decides from now on
        return undefined;
      } finally {
        inFlight -= 1;
      }
    }
    return false;
  }

  /**
   * Whether one of `keys` verifies `signature` over `input` through the host's WebCrypto;
   * `undefined` where the host does not do `alg` (or cannot import the key): the core decides.
   */
  async #hostVerdict({ alg, keys, input, signature }) {
    const host = WEBCRYPTO[alg];
    const subtle = globalThis.crypto?.subtle;
    if (!host || !subtle) return undefined;
    for (const index of keys) {
      // Once imported, the key itself: no wait on its settled promise at every call.
      const imported = this.#hostKeys.get(index);
      const key = imported !== undefined && !(imported instanceof Promise) ? imported : await this.#hostKey(index, host, subtle);
      if (key === null) return undefined;
      if (await subtle.verify(host.signature, key, signature, input)) return true;
    }
    return false;
  }

  /** A DPoP proof's signature through WebCrypto, as above (ES256 proofs: EdDSA's run in wasm). */
  async #proofVerdict(proof) {
    const subtle = globalThis.crypto?.subtle;
    if (proof?.alg !== 'ES256' || !subtle) return undefined;
    const { x, y, input, signature } = proof;
    const host = WEBCRYPTO.ES256;
    try {
      const key = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x, y }, host.key, false, ['verify']);
      return await subtle.verify(host.signature, key, signature, input);
    } catch {
      return undefined;
    }
  }

  #hostKey(index, host, subtle) {
    let key = this.#hostKeys.get(index);
    if (key === undefined) {
      key = subtle.importKey('jwk', this.#material(index), host.key, false, ['verify']).catch(() => null);
      this.#hostKeys.set(index, key);
      key.then((imported) => this.#hostKeys.set(index, imported));
    }
    return key;
  }


  /**
   * Verifies the access token of a Fetch `Request` (Workers, Node, Deno, service workers), as a
   * resource server: `Authorization: Bearer …` or `DPoP …` (any case). A token bound to a key
   * (`cnf.jkt`, RFC 9449) must come with the `DPoP` scheme and a `DPoP` proof signed by that
   * key for this method and URL, carrying the token's hash, never seen before by this verifier;
   * a bound token sent as `Bearer` is refused. Throws `JwtError` (`ERR_DPOP_PROOF_INVALID`,
   * `ERR_DPOP_BINDING_MISMATCH`, `ERR_DPOP_REPLAYED`, or the token's own codes). With
   * `options.kv` (a Workers KV binding), the issuer's revocation list is checked too, as
   * `verifyNotRevoked` does. With `options.replay` (`{ use(jti, until) }`, answering whether
   * the proof's `jti` is new, and keeping it until `until`), proofs are also checked against a
   * store every isolate shares. ECDSA and RSA signatures (the token's, and an ES256 proof's) go to
   * the host's WebCrypto, as in `verifyAsync`; every rule stays in the core. Behind a proxy that
   * changes the URL's origin, `options.origin` is the public origin the proofs' `htu` names.
   * @example
   * const claims = await verifier.verifyRequest(request, { kv: env.EDGE_JWT_KV });
   */
  async verifyRequest(request, options) {
    const headers = request?.headers;
    if (typeof headers?.get !== 'function' || typeof request.url !== 'string' || typeof request.method !== 'string') {
      throw new InvalidOption('request must be a Fetch Request (with method, url and headers)');
    }
    const authorization = headers.get('authorization') ?? undefined;
    const dpop = headers.get('dpop') ?? undefined;
    // Header values far longer than any token this verifier reads never cross into wasm (the
    // core applies the exact limits).
    for (const value of [authorization, dpop]) {
      if (value !== undefined && value.length > this.#maxTokenLength + 64) {
        throw new JwsInvalid('invalid JWS: a header exceeds the length limit');
      }
    }
    const { kv, replay, origin } = options ?? {};
    if (kv !== undefined) checkKv(kv);
    if (replay !== undefined && typeof replay?.use !== 'function') {
      throw new InvalidOption('replay must be an object with use(jti, until), answering whether the jti is new');
    }
    const url = origin === undefined ? request.url : publicUrl(request.url, origin);
    return this.#checkRequest([authorization, dpop, request.method, url, when(options)], kv, replay);
  }

  /**
   * A resource request's check (`requestJob`'s arguments): the proof's `jti` also marked used
   * in `replay` (shared by isolates), then the revocation list in `kv`.
   */
  async #checkRequest(args, kv, replay) {
    const check = call(() => this.#inner.requestJob(...args));
    let finished;
    let proof;
    try {
      proof = jobs.proof(check.proof);
      // Both signatures at once through WebCrypto where it does their algorithms; the core
      // checks the rest, and releases the outcome in the order the sync path reports it.
      const [tokenValid, proofValid] = await Promise.all([this.#hostVerdict(jobs.signature(check.token)), this.#proofVerdict(proof)]);
      finished = call(() => this.#inner.finishRequest(check, tokenValid, proofValid, kv !== undefined));
    } finally {
      check.free();
    }
    // Only a bound token that passed has a proof here: its jti, and the last second it passes.
    if (replay && proof?.jti !== undefined && !(await replay.use(proof.jti, proof.until))) {
      finished.free?.();
      throw new DpopReplayed('this DPoP proof was used before: make a new proof for each request');
    }
    return kv === undefined ? JSON.parse(finished) : this.#notRevoked(finished, kv);
  }

  /**
   * Verifies `token`, then checks the issuer's revocation list in a Workers KV binding (or any
   * object with an async `get(key)`). A KV that cannot be read fails closed
   * (`ERR_STORE_UNAVAILABLE`). The token is taken as a `Bearer` token: one bound to a key
   * (`cnf.jkt`) is refused, since its proof can only be checked with the request
   * (`verifyRequest`).
   * @example
   * const claims = await verifier.verifyNotRevoked(token, env.EDGE_JWT_KV);
   */
  async verifyNotRevoked(token, kv, options) {
    checkToken(token, this.#maxTokenLength);
    checkKv(kv);
    // Any URL: a Bearer token's check does not read it.
    return this.#checkRequest([`Bearer ${token}`, undefined, 'GET', 'https://resource.invalid/', when(options)], kv);
  }

  /** Finishes a revocation check: reads its entries from `kv`, then lets the core judge. */
  async #notRevoked(check, kv) {
    try {
      // The core names the entries and judges what they hold; only the reads happen here.
      const values = await Promise.all(check.keys.map(async (key) => {
        try {
          return await kv.get(key);
        } catch (error) {
          return { failed: String(error?.message ?? error) };
        }
      }));
      return JSON.parse(call(() => check.finish(values)));
    } finally {
      check.free();
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
      throw new InvalidOption('issuer must be the issuer URL, as a string');
    }
    const fetchImpl = remoteOptions.fetch ?? ((...args) => globalThis.fetch(...args));
    const timeout = (remoteOptions.timeout ?? 5) * 1000;
    const metadata = await discover(issuer, fetchImpl, timeout);
    const jwks = new RemoteJwks(metadata.jwks_uri, remoteOptions);
    return new RemoteVerifier(jwks, { issuer, ...options });
  }
}

function checkKv(kv) {
  if (!kv || typeof kv.get !== 'function') {
    throw new InvalidOption('kv must be a KV namespace binding, or a store with get(key) (see RevocationStore)');
  }
}

/**
 * The URL a client addressed, behind a proxy or an adapter that serves the request under another
 * origin: `origin` (scheme, host and port, as the public sees them) with the request's own path
 * and query. A DPoP proof's `htu` names the public URL.
 */
function publicUrl(requestUrl, origin) {
  let base;
  try {
    base = typeof origin === 'string' ? new URL(origin) : undefined;
  } catch {
    base = undefined;
  }
  if (!base || !/^https?:$/.test(base.protocol) || base.origin + '/' !== base.href.replace(/\/?$/, '/')) {
    throw new InvalidOption(`origin must be the public origin the resource is served at, such as 'https://api.example' (no path): got ${JSON.stringify(origin)}`);
  }
  const url = new URL(requestUrl);
  return base.origin + url.pathname + url.search;
}

export class RemoteVerifier {
  #jwks;
  #options;
  #text;
  #verifier;

  constructor(jwks, options) {
    if (!(jwks instanceof RemoteJwks)) throw new InvalidOption('expected a RemoteJwks');
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
      if (error?.code !== NoMatchingKey.code) throw error;
      const before = this.#text;
      const refreshed = await this.#current(true);
      if (this.#text === before) throw error;
      return check(refreshed);
    }
  }

  async verify(token, options) {
    return this.#withKeys((verifier) => verifier.verifyAsync(token, options));
  }

  /** `Verifier.verifyRequest` with the current keys. */
  async verifyRequest(request, options) {
    return this.#withKeys((verifier) => verifier.verifyRequest(request, options));
  }

  /** `verify` and the revocation list's check, with one signature check. */
  async verifyNotRevoked(token, kv, options) {
    return this.#withKeys((verifier) => verifier.verifyNotRevoked(token, kv, options));
  }
}
