// What the JS hands the core: key sets as text, tokens as strings within the core's length
// limit, times in seconds. Conversions only: every rule about tokens is the core's.
import * as wasm from './edge_jwt.js';
import { nowSeconds } from './clock.mjs';
import { JwksInvalid, JwsInvalid } from './errors.mjs';

/** The core's default length limit, read from the core (never written down here) on first use:
 * the wasm module is instantiated only after every module is loaded. */
let defaultMax;
export const defaultMaxTokenLength = () => (defaultMax ??= wasm.defaultMaxTokenLength());


export function jwksText(jwks) {
  if (typeof jwks === 'string') return jwks;
  if (jwks && typeof jwks === 'object') return JSON.stringify(jwks);
  throw new JwksInvalid('jwks must be a JWKS object, its JSON text, or one JWK');
}

/**
 * Refuses what the core would refuse anyway, before copying it into wasm memory: a non-string,
 * or a string whose UTF-16 length already exceeds the byte limit.
 */
export function checkToken(token, maxLength) {
  if (typeof token !== 'string') throw new JwsInvalid('the token must be a string');
  if (token.length > maxLength) throw new JwsInvalid('invalid JWS: token exceeds the length limit');
}

/**
 * `{now}` → seconds: a number is used as given (the core refuses anything but a whole,
 * non-negative one); anything else (absent, `null`) is the current time.
 */
export function when(options) {
  const now = options?.now;
  return typeof now === 'number' ? now : nowSeconds();
}
