// The verified-token cache, opt-in per verifier (`{ cache: { max } }`): a resource server sees
// the same token many times over its minutes of life, and a hit skips the parse and the
// signature. What a hit may skip and what it may not:
// - the key is the whole token, as the string it is: never a prefix, a `kid` or the signature
//   alone (fast-jwt's GHSA-rp9m-7r4c-75qg), so a token that differs anywhere is verified anew;
// - the time rules (`exp`, `nbf`, `iat`, the maximum age) run again on every hit, in the core;
// - the claim rules depend only on the verifier's options, fixed when it is built: one cache
//   per verifier, and a new key set is a new verifier, so a key set change empties it;
// - the revocation list and DPoP proofs are never cached (verifyNotRevoked, verifyRequest).
import { InvalidOption } from './errors.mjs';

/** The most entries a cache may be given: about 1 KB of token and claims each. */
const LARGEST = 1_000_000;

/** The `cache` option: `undefined` (no cache) or `{ max }`, a whole number of tokens. */
export function cacheFrom(option) {
  if (option === undefined || option === false) return undefined;
  const max = option?.max;
  if (!Number.isSafeInteger(max) || max < 1 || max > LARGEST || Object.keys(option).some((k) => k !== 'max')) {
    throw new InvalidOption(`cache must be { max: N }, N a whole number of tokens from 1 to ${LARGEST}: got ${JSON.stringify(option)}`);
  }
  return new VerifiedTokens(max);
}

/** Verified tokens, least recently used first: each as its claims' JSON text and times. */
class VerifiedTokens {
  #max;
  #entries = new Map();

  constructor(max) {
    this.#max = max;
  }

  /** The entry for `token`, now the most recently used; `undefined` if there is none. */
  get(token) {
    const entry = this.#entries.get(token);
    if (entry !== undefined) {
      this.#entries.delete(token);
      this.#entries.set(token, entry);
    }
    return entry;
  }

  /** Keeps `token` as verified, with its claims (`text`, parsed as `claims`). */
  set(token, text, claims) {
    this.#entries.delete(token);
    this.#entries.set(token, { text, iat: claims.iat, nbf: claims.nbf, exp: claims.exp });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value);
  }

  delete(token) {
    this.#entries.delete(token);
  }
}
