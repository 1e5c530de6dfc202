// Reading a token without verifying it, for UIs: its claims and its expiry.
import * as wasm from './edge_jwt.js';
import { call } from './errors.mjs';
import { checkToken, defaultMaxTokenLength, when } from './input.mjs';

/**
 * The claims of a token, NOT verified: for showing in a UI, never for deciding access.
 * @example
 * const { sub, exp } = decode(accessToken);
 */
export function decode(token) {
  checkToken(token, defaultMaxTokenLength());
  return JSON.parse(call(() => wasm.decode(token)));
}

/**
 * Whether a token (not verified) has expired at `now`, with `leeway` seconds (default 0), by
 * the verifier's own rule.
 * @example
 * if (isExpired(accessToken, { leeway: 30 })) await refresh();
 */
export function isExpired(token, { leeway = 0, now } = {}) {
  checkToken(token, defaultMaxTokenLength());
  return call(() => wasm.isExpired(token, leeway, when({ now })));
}

/**
 * Seconds until a token (not verified) expires: `exp - now`, zero or less once expired.
 * @example
 * setTimeout(refresh, (expiresIn(accessToken) - 30) * 1000);
 */
export function expiresIn(token, { now } = {}) {
  checkToken(token, defaultMaxTokenLength());
  return call(() => wasm.expiresIn(token, when({ now })));
}
