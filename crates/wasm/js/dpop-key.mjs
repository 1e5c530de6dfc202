// A DPoP key (RFC 9449) held by this browser: a WebCrypto key pair whose private key cannot be
// exported, kept in IndexedDB so that every tab and every reload signs with the same key. Its
// proofs (§4.2) are written here, in JS and without wasm, so that a page that only keeps a
// session loads no verifier; the package's tests run every proof through the core's
// `verifyRequest`, so the two sides cannot drift.
import { InvalidOption, JwtError } from './errors.mjs';
import { DPOP_KEY_ALGORITHMS, WEBCRYPTO } from './host-crypto.mjs';
import { nowSeconds } from './clock.mjs';

/** RFC 7638's required members of each key type, in the lexicographic order it hashes them. */
const THUMBPRINT_MEMBERS = { ES256: ['crv', 'kty', 'x', 'y'], EdDSA: ['crv', 'kty', 'x'] };
const utf8 = new TextEncoder();

const DATABASE = 'edge-jwt';
const STORE = 'dpop-keys';
/** Keys of runtimes without IndexedDB (Node, Deno): this process only. */
const memory = new Map();

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

async function database(indexedDB) {
  const open = indexedDB.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

/** A record `{keyPair, algorithm}` by name, from IndexedDB (or memory without it). */
async function read(indexedDB, name) {
  if (!indexedDB) return memory.get(name);
  const db = await database(indexedDB);
  try {
    return await request(db.transaction(STORE).objectStore(STORE).get(name));
  } finally {
    db.close();
  }
}

/**
 * Stores `record` under `name` unless one is there already; returns the one kept. Two tabs
 * that create a key at once both end up with the first one stored.
 */
async function keep(indexedDB, name, record) {
  if (!indexedDB) {
    if (!memory.has(name)) memory.set(name, record);
    return memory.get(name);
  }
  const db = await database(indexedDB);
  try {
    const store = db.transaction(STORE, 'readwrite').objectStore(STORE);
    const existing = await request(store.get(name));
    if (existing) return existing;
    await request(store.add(record, name));
    return record;
  } finally {
    db.close();
  }
}

async function generate(algorithm) {
  if (!DPOP_KEY_ALGORITHMS.includes(algorithm)) throw new InvalidOption('algorithm must be "ES256" or "EdDSA"');
  const spec = WEBCRYPTO[algorithm];
  // extractable: false applies to the private key; the public key is always exportable.
  try {
    const keyPair = await crypto.subtle.generateKey(spec.key, false, ['sign', 'verify']);
    return { keyPair, algorithm };
  } catch (error) {
    throw new InvalidOption(`this runtime cannot make a ${algorithm} key (${error?.message ?? error}): use ES256, which every browser has`);
  }
}

/** An IndexedDB step; its failure (a private window, a full disk) as a JwtError that says what to do. */
async function stored(step) {
  try {
    return await step();
  } catch (error) {
    if (error instanceof JwtError) throw error;
    throw new InvalidOption(`IndexedDB cannot keep the DPoP key (${error?.message ?? error}): pass indexedDB: null to keep it in memory for this page`);
  }
}

function base64url(bytes) {
  let text = '';
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

const sha256 = async (text) => base64url(await crypto.subtle.digest('SHA-256', utf8.encode(text)));

/** The public key as a proof's `jwk` header carries it, and its RFC 7638 thumbprint. */
async function publicJwk(publicKey, algorithm) {
  const exported = await crypto.subtle.exportKey('jwk', publicKey);
  // Only the required public members: never `d`, nor `ext` or `key_ops`.
  const jwk = Object.fromEntries(THUMBPRINT_MEMBERS[algorithm].map((name) => [name, exported[name]]));
  return { jwk, thumbprint: await sha256(JSON.stringify(jwk)) };
}

/**
 * A DPoP key pair this browser holds: the private key is a non-extractable `CryptoKey` (no
 * script can read it out of the page, not even this package), kept in IndexedDB, so every tab
 * and every reload of the origin shares it. Without IndexedDB (Node, Deno) it lives in memory.
 * @example
 * const key = await DpopKey.load();                      // created on first use
 * await fetch('/login', { method: 'POST', body: JSON.stringify({ user, dpop_jkt: key.thumbprint }) });
 * const session = new Session({ issuer, tokens, dpop: key });
 */
export class DpopKey {
  #keyPair;
  #jwk;

  /** Use `DpopKey.load()`. */
  constructor(keyPair, algorithm, jwk, thumbprint) {
    this.#keyPair = keyPair;
    this.#jwk = jwk;
    /** `ES256` or `EdDSA`. */
    this.algorithm = algorithm;
    /** The RFC 7638 thumbprint: what the back end sends the issuer as `dpop_jkt`. */
    this.thumbprint = thumbprint;
    Object.freeze(this);
  }

  /**
   * The key stored under `name` (default `edge-jwt:dpop`), created on first use with
   * `algorithm` (default `ES256`, which every browser has; `EdDSA` where the browser has
   * Ed25519). `indexedDB` defaults to the global one; pass `null` to keep the key in memory.
   * @example
   * const key = await DpopKey.load({ algorithm: 'EdDSA' });
   */
  static async load({ name = 'edge-jwt:dpop', algorithm = 'ES256', indexedDB = globalThis.indexedDB } = {}) {
    const record = await stored(() => read(indexedDB, name))
      ?? await stored(async () => keep(indexedDB, name, await generate(algorithm)));
    const { jwk, thumbprint } = await publicJwk(record.keyPair.publicKey, record.algorithm);
    return new DpopKey(record.keyPair, record.algorithm, jwk, thumbprint);
  }

  /**
   * Deletes the key stored under `name` (at logout, so the next login binds a new key).
   * @example
   * await DpopKey.remove();
   */
  static async remove({ name = 'edge-jwt:dpop', indexedDB = globalThis.indexedDB } = {}) {
    if (!indexedDB) return void memory.delete(name);
    await stored(async () => {
      const db = await database(indexedDB);
      try {
        await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(name));
      } finally {
        db.close();
      }
    });
  }

  /**
   * A proof (the `DPoP` header's value) for one request: `method` and `url`, with
   * `accessToken` (to a resource) and the server's `nonce` when there is one.
   * @example
   * headers.set('DPoP', await key.proof('GET', 'https://api.example/me', { accessToken }));
   */
  async proof(method, url, { accessToken, nonce, now = nowSeconds() } = {}) {
    // An HTTP method is a token (RFC 9110 §9.1); the server compares it exactly.
    if (typeof method !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
      throw new InvalidOption(`method must be the request's HTTP method, such as 'GET': got ${JSON.stringify(method)}`);
    }
    if (!Number.isSafeInteger(now) || now < 0) throw new InvalidOption('now must be whole seconds since the epoch');
    for (const [name, value] of [['accessToken', accessToken], ['nonce', nonce]]) {
      if (value !== undefined && typeof value !== 'string') throw new InvalidOption(`${name} must be a string`);
    }
    let target;
    try {
      // Serialized as the server's runtime serializes the URL it received (WHATWG).
      target = new URL(String(url)).href;
    } catch {
      throw new InvalidOption(`url must be the request's absolute URL: got ${JSON.stringify(String(url))}`);
    }
    const header = { typ: 'dpop+jwt', alg: this.algorithm, jwk: this.#jwk };
    // htu: the URL without its query and fragment (§4.2); a new jti for every proof (§11.1).
    const claims = { jti: crypto.randomUUID(), htm: method, htu: target.split(/[?#]/)[0], iat: now };
    if (accessToken !== undefined) claims.ath = await sha256(accessToken);
    if (nonce !== undefined) claims.nonce = nonce;
    const input = `${base64url(utf8.encode(JSON.stringify(header)))}.${base64url(utf8.encode(JSON.stringify(claims)))}`;
    const signature = await crypto.subtle.sign(WEBCRYPTO[this.algorithm].signature, this.#keyPair.privateKey,
      utf8.encode(input));
    return `${input}.${base64url(signature)}`;
  }
}
