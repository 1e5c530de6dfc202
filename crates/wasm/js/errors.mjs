// The package's errors: JwtError, and a subclass per code the JavaScript layer raises itself,
// each with a static `code`, so that every code is written once (the core's own codes are its
// `ErrorCode` enum; the wasm crate's tests check that the codes here that are also the core's
// are spelled as the core spells them).

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

/** A JwtError subclass for one code: `new Code(message)`, `Code.code`, `error instanceof Code`. */
function declare(code) {
  return class extends JwtError {
    static code = code;
    constructor(message, details) {
      super(code, message, details);
    }
  };
}

// The JavaScript layer's own codes.
/** A session that has ended (logged out, or refused by the issuer) was asked for a token. */
export const SessionEnded = declare('ERR_SESSION_ENDED');
/** The issuer answered a refresh with an error that has no code of its own. */
export const RefreshFailed = declare('ERR_REFRESH_FAILED');
/** The issuer could not be told of a logout: `error.retry()` tries again. */
export const RevokeFailed = declare('ERR_REVOKE_FAILED');
/** An issuer's metadata could not be had or is not what RFC 8414 requires. */
export const DiscoveryFailed = declare('ERR_DISCOVERY_FAILED');
/**
 * A key set could not be fetched (the host is down, a timeout, an HTTP error, a redirect, an
 * answer over 1 MiB): not a bad key set, which is `ERR_JWKS_INVALID`.
 */
export const JwksFetchFailed = declare('ERR_JWKS_FETCH_FAILED');

// The core's codes that the JavaScript layer also raises itself (before or around the core).
/** An option, argument or configuration that cannot be used. */
export const InvalidOption = declare('ERR_INVALID_OPTION');
/** A key set that cannot be had or used. */
export const JwksInvalid = declare('ERR_JWKS_INVALID');
/** A token (or header) that is not a well-formed compact JWS. */
export const JwsInvalid = declare('ERR_JWS_INVALID');
/** A claim that is missing or fails a check (`claim` and `reason` say which and why). */
export const ClaimInvalid = declare('ERR_JWT_CLAIM_VALIDATION_FAILED');
/** A signature that does not verify. */
export const SignatureInvalid = declare('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
/** No key of the set matches the token (a remote set is refetched on it). */
export const NoMatchingKey = declare('ERR_JWKS_NO_MATCHING_KEY');
/** A DPoP proof used before. */
export const DpopReplayed = declare('ERR_DPOP_REPLAYED');
/** The revocation list or another store could not be read (fail closed). */
export const StoreUnavailable = declare('ERR_STORE_UNAVAILABLE');

/** Turns the core's error objects into JwtError; anything else is rethrown as is. */
export function rethrow(error) {
  if (error instanceof JwtError) throw error;
  if (error && typeof error === 'object' && typeof error.code === 'string' && !(error instanceof Error)) {
    throw new JwtError(error.code, error.message, error);
  }
  throw error;
}

export function call(fn) {
  try {
    return fn();
  } catch (error) {
    rethrow(error);
  }
}
