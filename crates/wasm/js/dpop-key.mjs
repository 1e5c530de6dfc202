// A DPoP key (RFC 9449) held by this browser: a WebCrypto key pair whose private key cannot be
// exported, kept in IndexedDB so that every tab and every reload signs with the same key.
// What a proof says is the core's (`dpopProofInput`); WebCrypto only signs it.
import * as wasm from './edge_jwt.js';
import { InvalidOption, JwtError, call } from './errors.mjs';
import { DPOP_KEY_ALGORITHMS, WEBCRYPTO } from './host-crypto.mjs';
import { nowSeconds } from './input.mjs';

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
    const jwk = await crypto.subtle.exportKey('jwk', record.keyPair.publicKey);
    const thumbprint = call(() => wasm.jwkThumbprint(JSON.stringify(jwk)));
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
    const input = call(() => wasm.dpopProofInput(JSON.stringify(this.#jwk), this.algorithm, method, String(url), now,
      crypto.randomUUID(), accessToken, nonce));
    const signature = await crypto.subtle.sign(WEBCRYPTO[this.algorithm].signature, this.#keyPair.privateKey,
      new TextEncoder().encode(input));
    return `${input}.${base64url(signature)}`;
  }
}
