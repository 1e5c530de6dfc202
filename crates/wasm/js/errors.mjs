// The one error class of the package, and the conversion of the core's errors into it.

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
