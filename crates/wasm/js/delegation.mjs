// Delegated tokens (RFC 8693 §4.1): who acts for the token's subject, read from its `act` claim
// by the core's rules (`checkDelegation` in crates/wasm/src/lib.rs).
import * as wasm from './edge_jwt.js';
import { InvalidOption, call } from './errors.mjs';

/** The `act` claim of verified `claims` as JSON text, or undefined when it has none. */
function actText(claims) {
  const act = claims?.act;
  return act === undefined ? undefined : JSON.stringify(act);
}

/**
 * The delegation chain of verified `claims`: each actor's claims (`sub`, and `iss` or others
 * when the issuer wrote them), the one acting now first, then each that acted before it; empty
 * for a token that is its subject's own. A malformed `act` throws `ERR_JWT_CLAIM_VALIDATION_FAILED`.
 * @example
 * const claims = await verifier.verifyRequest(request);
 * const [actor] = delegationChain(claims); // { sub: 'mcp-server' }: the client acting for claims.sub
 */
export function delegationChain(claims) {
  // The core checks the chain (its shape, its length); its actors are then read as they are.
  const depth = call(() => wasm.checkDelegation(actText(claims), false, undefined));
  const chain = [];
  for (let act = claims?.act; chain.length < depth; act = act.act) {
    const { act: _prior, ...actor } = act;
    chain.push(actor);
  }
  return chain;
}

/**
 * Checks verified `claims` against a delegation rule: `'refused'` (the subject's own tokens
 * only), `'required'` (delegated ones only), or an array of the actors required (`act.sub`).
 * Throws `ERR_JWT_CLAIM_VALIDATION_FAILED` (claim `act`) saying what the resource takes, and
 * `ERR_INVALID_OPTION` for a rule that cannot be right.
 * @example
 * checkDelegation(await verifier.verifyRequest(request), ['mcp-server']);
 */
export function checkDelegation(claims, rule) {
  const refused = rule === 'refused';
  call(() => wasm.checkDelegation(actText(claims), refused, refused ? undefined : requiredActors(rule)));
}

/** The actors a rule other than `'refused'` requires: none named for `'required'` (any). */
export function requiredActors(rule) {
  if (rule === 'required') return [];
  if (Array.isArray(rule) && rule.length > 0 && rule.every((a) => typeof a === 'string' && a !== '')) return rule;
  throw new InvalidOption(`a delegation rule is 'refused', 'required' or an array of the actors required (client ids), not ${JSON.stringify(rule)}`);
}
