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

const encoder = new TextEncoder();
/** Reused from call to call: what `utf8` hands out is copied into wasm memory at once. */
let scratch = new Uint8Array(2048);

/**
 * `token` as UTF-8 bytes for the core, in a buffer reused by the next call: TextEncoder's
 * `encodeInto` is native, where wasm-bindgen's own copy of a string walks it a character at a
 * time in JS. The caller has checked `token`'s length (`checkToken`).
 */
export function utf8(token) {
  if (token.length * 3 > scratch.length) scratch = new Uint8Array(token.length * 3);
  return scratch.subarray(0, encoder.encodeInto(token, scratch).written);
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
