// Type declarations of the `edge-jwt` npm package.

/** The stable codes a JwtError carries (named as jose names them, where jose has the failure). */
export type JwtErrorCode =
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWS_INVALID'
  | 'ERR_JWT_INVALID'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWT_REVOKED'
  | 'ERR_JWKS_INVALID'
  | 'ERR_JWT_CLAIM_RESERVED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_INVALID_OPTION'
  | 'ERR_SESSION_ENDED'
  | 'ERR_REFRESH_FAILED'
  | 'ERR_REVOKE_FAILED'
  | 'ERR_DISCOVERY_FAILED'
  | 'ERR_JWKS_FETCH_FAILED'
  | 'ERR_REFRESH_TOKEN_REUSED'
  | 'ERR_SESSION_NOT_FOUND'
  // The issuer's own failures, as a Session's refresh may carry them from the server.
  | 'ERR_CLIENT_MISMATCH'
  | 'ERR_CLIENT_AUTHENTICATION_REQUIRED'
  | 'ERR_CLIENT_ASSERTION_INVALID'
  | 'ERR_TOKEN_EXCHANGE_INVALID'
  | 'ERR_ASSERTION_GRANT_INVALID'
  | 'ERR_SIGN_IN_FAILED'
  | 'ERR_INVALID_SCOPE'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_UNAUTHORIZED_CLIENT'
  | 'ERR_INTERNAL'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_BINDING_MISMATCH'
  | 'ERR_DPOP_REPLAYED'
  | 'ERR_DPOP_NONCE_REQUIRED'
  | 'ERR_INVALID_TARGET'
  | 'ERR_AUTHORIZATION_CODE_INVALID'
  | 'ERR_AUTHORIZATION_CODE_REUSED'
  | 'ERR_AUTHORIZATION_NOT_FOUND'
  | 'ERR_INVALID_REDIRECT_URI'
  | 'ERR_INVALID_CLIENT_METADATA'
  | 'ERR_UNSUPPORTED_RESPONSE_TYPE';

/**
 * The error every edge-jwt function throws.
 * @example
 * try { verifier.verify(token) } catch (e) { if (e instanceof JwtError && e.code === 'ERR_JWT_EXPIRED') refresh() }
 */
export class JwtError extends Error {
  readonly name: 'JwtError';
  readonly code: JwtErrorCode;
  /** For ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_EXPIRED: the claim (`exp`, `nbf`, `iat`, `iss`, `aud`, `typ`...). */
  readonly claim?: string;
  /** For ERR_JWT_CLAIM_VALIDATION_FAILED: `missing`, `invalid` or `check_failed`. */
  readonly reason?: 'missing' | 'invalid' | 'check_failed';
}

/**
 * The signature algorithms verified. RS*: RSASSA-PKCS1-v1_5; PS*: RSA-PSS with MGF1 of the same
 * hash and a salt as long as the hash (RFC 7518 §3.3, §3.5). RSA keys of 2048 to 4096 bits.
 */
export type Algorithm =
  | 'EdDSA' | 'Ed25519' | 'ES256' | 'ES384' | 'HS256'
  | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';

/** One JSON Web Key (RFC 7517). */
export interface Jwk {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  [member: string]: unknown;
}

/** A JSON Web Key Set. */
export interface Jwks {
  keys: Jwk[];
}

/** What every token must satisfy. Unknown options throw ERR_INVALID_OPTION. */
export interface VerifierOptions {
  /** Required `iss`. When given, a token without it fails. */
  issuer?: string;
  /** An audience the token's `aud` must contain. When given, a token without `aud` fails. */
  audience?: string;
  /** Clock leeway for `exp`, `nbf`, `iat`, in whole seconds (default 30, at most 300). */
  leeway?: number;
  /** Required `typ` header (default `at+jwt`); `null` skips the check. */
  typ?: string | null;
  /**
   * Algorithms accepted (default: each key's own). A key's `alg` decides; HS256 (`oct`) keys are
   * used only when named here, and an RSA key without `alg` only for the RSA algorithms named
   * here (`['RS256']` for Microsoft Entra ID, whose keys carry no `alg`).
   */
  algorithms?: Algorithm[];
  /** Longest token accepted, in bytes (default 8192). */
  maxTokenLength?: number;
  /** Oldest token accepted, in seconds since its `iat`. */
  maxAge?: number;
  /**
   * Claims that must be present with exactly these values (default none), e.g. Amazon Cognito's
   * `{ token_use: 'access' }`. A failure is ERR_JWT_CLAIM_VALIDATION_FAILED with `claim` set.
   */
  requiredClaims?: Record<string, unknown>;
  /**
   * The `azp` (authorized party) values accepted (default: not checked), e.g. Clerk's
   * `['https://app.example']`. When set, a token without `azp` fails.
   */
  authorizedParties?: string | string[];
  /**
   * Accept a token bound to a key (`cnf`, DPoP) in `verify` and `verifyAsync`, where its proof
   * cannot be seen (default `false`: refused with ERR_DPOP_PROOF_INVALID, since a copy of it
   * would work as a bearer token). Set it only if you check the binding yourself;
   * `verifyRequest` checks the proof and always takes bound tokens.
   */
  allowBoundTokens?: boolean;
  /**
   * Scopes every token's `scope` must carry (exact strings; default none). A token valid in every
   * other way without one of them fails with ERR_INSUFFICIENT_SCOPE, which `resourceRefusal`
   * answers 403 `insufficient_scope` (RFC 6750 §3.1).
   */
  requiredScopes?: string[];
  /**
   * A verified-token cache for `verify` and `verifyAsync` (default: none): up to `max` tokens
   * this verifier has verified, least recently used forgotten first. A hit skips the parse and
   * the signature; the times (`exp`, `nbf`, `iat`, `maxAge`) are checked again on every hit.
   * Keyed on the whole token; one cache per verifier (a new key set starts an empty one); the
   * revocation list and DPoP proofs are never cached.
   * @example
   * const verifier = new Verifier(jwks, { issuer, cache: { max: 10000 } });
   */
  cache?: { max: number };
}

/** The verified claims: a plain object. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  sid?: string;
  client_id?: string;
  scope?: string;
  /** The actor of a delegated token (RFC 8693 §4.1), the prior one nested as its own `act`. */
  act?: Actor;
  [claim: string]: unknown;
}

/** One actor's own claims: the client acting (`sub`), and what else its issuer wrote. */
export interface ActorClaims {
  sub: string;
  [claim: string]: unknown;
}

/** An `act` claim: the actor, and the one that acted before it as its own `act`. */
export interface Actor extends ActorClaims {
  act?: Actor;
}

/**
 * What a resource takes of delegated tokens: `'refused'` (the subject's own only),
 * `'required'` (delegated ones only), or the actors (`act.sub`) required.
 */
export type DelegationRule = 'refused' | 'required' | string[];

/**
 * The delegation chain of verified `claims`: each actor's claims without its nested `act`, the
 * one acting now first; empty for the subject's own token. A malformed `act` throws
 * ERR_JWT_CLAIM_VALIDATION_FAILED.
 * @example
 * const [actor] = delegationChain(await verifier.verifyRequest(request)); // { sub: 'mcp-server' }
 */
export function delegationChain(claims: JwtClaims | { act?: unknown }): ActorClaims[];

/**
 * Checks verified `claims` against a delegation rule: throws ERR_JWT_CLAIM_VALIDATION_FAILED
 * (claim `act`) when it does not hold, ERR_INVALID_OPTION for a rule that cannot be right.
 * @example
 * checkDelegation(await verifier.verifyRequest(request), ['mcp-server']);
 */
export function checkDelegation(claims: JwtClaims | { act?: unknown }, rule: DelegationRule): void;

export interface At {
  /** The time to verify at, in whole seconds since the epoch (default: now). */
  now?: number;
}

/** `verifyRequest`'s options: the time, and the revocation list to check, if any. */
export interface RequestOptions extends At {
  /** The issuer's revocation list, checked after the token and its proof. */
  kv?: KvNamespaceLike;
  /**
   * A replay store every isolate shares, for DPoP proofs' `jti`s (the verifier's own memory,
   * per isolate, is always checked too). Default: none.
   */
  replay?: ReplayStore;
  /**
   * The public origin the resource is served at (`'https://api.example'`), when a proxy or a
   * local adapter hands the request over under another one: a DPoP proof's `htu` names the
   * public URL, so it is checked against this origin with the request's path and query.
   * Default: the request's own URL.
   */
  origin?: string;
}

/**
 * Where DPoP proofs' `jti`s are kept across isolates (RFC 9449 §11.1). `use` answers whether
 * `jti` is new, and keeps it until `until` (seconds since the epoch, the last second the
 * proof passes its `iat` check). A Durable Object per `jti` makes it exact; KV is best effort.
 * @example
 * const replay = { use: (jti, until) => env.PROOF_JTIS.get(env.PROOF_JTIS.idFromName(jti)).use(until) };
 */
export interface ReplayStore {
  use(jti: string, until: number): Promise<boolean> | boolean;
}

/**
 * The issuer's revocation list, as `verifyNotRevoked` and `verifyRequest({ kv })` read it: a
 * Workers KV binding, or any store with `get`. Four keys are read per token:
 * `revoked:jti:<jti>`, `revoked:sid:<sid>` and `revoked:kid:<kid>` (the key that signed it;
 * each revoked when present, whatever the value) and `revoked:sub:<sub>` (a decimal number of
 * seconds: tokens of the subject issued at or before it are revoked). `null` means absent; a `get` that throws or rejects fails closed
 * (`ERR_STORE_UNAVAILABLE`). The issuer writes these entries, each expiring on its own.
 * @example
 * const store: RevocationStore = { get: (key) => redis.get(key) };   // a copy of the list
 */
export interface RevocationStore {
  get(key: string): Promise<string | null> | string | null;
}

/** A Workers KV namespace binding holding the issuer's revocation list (only `get` is used). */
export type KvNamespaceLike = RevocationStore;

/**
 * Verifies tokens against a key set.
 * @example
 * const verifier = new Verifier(jwks, { issuer: 'https://auth.example', audience: 'https://api.example' });
 * const claims = verifier.verify(token);
 */
export class Verifier {
  /** `jwks`: a JWKS object, its JSON text, or one JWK. Throws JwtError on bad keys or options. */
  constructor(jwks: Jwks | Jwk | string, options?: VerifierOptions);
  /** Verifies synchronously; throws JwtError. */
  verify(token: string, options?: At): JwtClaims;
  /**
   * Verifies with an EdDSA, ECDSA (ES256, ES384) or RSA (RS*, PS*) signature checked by the
   * host: node:crypto where the runtime has it (at once when this is the only verification in
   * flight, on its thread pool when others are), WebCrypto elsewhere (EdDSA stays in wasm where
   * the host has no Ed25519). HS256 is decided in wasm, as by `verify`. The core still parses
   * the token, chooses the key and keeps from the host what hosts decide differently. The same
   * rules and errors as `verify`.
   * @example
   * const claims = await verifier.verifyAsync(token);
   */
  verifyAsync(token: string, options?: At): Promise<JwtClaims>;
  /**
   * Verifies a Fetch `Request`'s access token as a resource server: `Bearer` or `DPoP` scheme
   * (any case); a token bound to a key (`cnf.jkt`, RFC 9449) needs the `DPoP` scheme and a
   * `DPoP` proof by that key for this method and URL (query and fragment ignored), with the
   * token's hash as `ath`, not seen before by this verifier. A bound token sent as `Bearer` is
   * refused. With `kv`, the issuer's revocation list is checked too (as `verifyNotRevoked`).
   * @example
   * const claims = await verifier.verifyRequest(request, { kv: env.EDGE_JWT_KV });
   */
  verifyRequest(request: Request, options?: RequestOptions): Promise<JwtClaims>;
  /**
   * Verifies, then checks the issuer's revocation list in KV (token, session and subject).
   * @example
   * const claims = await verifier.verifyNotRevoked(token, env.EDGE_JWT_KV);
   */
  verifyNotRevoked(token: string, kv: KvNamespaceLike, options?: At): Promise<JwtClaims>;
  /**
   * A verifier over a RemoteJwks, refetching it once (within its cooldown) on an unknown `kid`.
   * @example
   * const claims = await Verifier.fromRemote(new RemoteJwks(url), { issuer }).verify(token);
   */
  static fromRemote(jwks: RemoteJwks, options?: VerifierOptions): RemoteVerifier;
  /**
   * A verifier for `issuer`'s tokens by discovery (OpenID Connect metadata, then RFC 8414): the
   * metadata's `issuer` must equal `issuer`; its `jwks_uri` gives the keys; `issuer` is the
   * expected `iss` unless `options.issuer` is set. Rejects with `ERR_DISCOVERY_FAILED`.
   * @example
   * const verifier = await Verifier.fromIssuer('https://auth.example', { audience: 'https://api.example' });
   * const claims = await verifier.verify(token);
   */
  static fromIssuer(issuer: string, options?: VerifierOptions, remoteOptions?: RemoteJwksOptions): Promise<RemoteVerifier>;
}

/** A verifier over a RemoteJwks; its methods are async. */
export interface RemoteVerifier {
  verify(token: string, options?: At): Promise<JwtClaims>;
  verifyNotRevoked(token: string, kv: KvNamespaceLike, options?: At): Promise<JwtClaims>;
  /** `Verifier.verifyRequest`, refetching the keys once on an unknown `kid`. */
  verifyRequest(request: Request, options?: RequestOptions): Promise<JwtClaims>;
}

export interface RemoteJwksOptions {
  /** Seconds a fetched JWKS is used before it is fetched again (default 600). */
  cacheMaxAge?: number;
  /** Seconds between two fetches: forced refetches on an unknown `kid`, and retries after a failed fetch (default 30). */
  cooldown?: number;
  /** Seconds a fetch may take before it fails (default 5). */
  timeout?: number;
  /** Seconds past `cacheMaxAge` the last good key set is still served while refetches fail (default 3600). */
  maxStale?: number;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /**
   * A secret of this deployment, 16 characters or more (a Worker secret, say). In a Worker, it
   * shares the fetched key set across isolates through the Cache API, under a name only this
   * deployment can compute (every Worker on a zone shares `caches.default`). Without it, each
   * isolate fetches and keeps its own copy.
   */
  sharedCacheSecret?: string;
}

/**
 * A JWKS fetched from a URL and cached. A fetched answer replaces the cache only once it has
 * been parsed into a usable key set; a failed refetch keeps the last good set (up to
 * `maxStale`) and is retried after the cooldown. Fetches time out, read at most 1 MiB and
 * never follow a redirect. In Workers, with `sharedCacheSecret`, the set is shared across
 * isolates through the Cache API.
 * @example
 * const jwks = new RemoteJwks('https://auth.example/.well-known/jwks.json', { cacheMaxAge: 600, cooldown: 30, timeout: 5 });
 */
export class RemoteJwks {
  constructor(url: string | URL, options?: RemoteJwksOptions);
  /** The JWKS as JSON text; `accept` may refuse a fetched set by throwing (it is then not cached). */
  get(options?: { force?: boolean; accept?: (text: string) => void }): Promise<string>;
}

/**
 * How a resource server refuses a request (RFC 6750 §3, RFC 9449 §7.1), as the issuer and the
 * Hono middleware do: the OAuth `error` for the body and the `WWW-Authenticate` challenge, for a
 * `JwtError`'s `code` (`null`: no token at all) of a token sent with `scheme`. A DPoP challenge
 * names the proof algorithms `verifyRequest` takes.
 * @example
 * const { error, challenge } = resourceRefusal(e.code, 'Bearer', { realm: 'api', description: e.message });
 */
export function resourceRefusal(
  code: JwtErrorCode | string | null | undefined,
  scheme?: 'Bearer' | 'DPoP',
  options?: { realm?: string; description?: string; resourceMetadata?: string; scope?: string[] | string },
): {
  error: 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce' | 'insufficient_scope';
  challenge: string;
  /** 403 for `ERR_INSUFFICIENT_SCOPE`, 401 for everything else. */
  status: 401 | 403;
};

/**
 * Checks that verified `claims` carry every scope in `requiredScopes` (exact strings), as the
 * `requiredScopes` option does for every token: throws `ERR_INSUFFICIENT_SCOPE` otherwise, which
 * `resourceRefusal` answers 403 `insufficient_scope`.
 * @example
 * checkScopes(await verifier.verifyRequest(request), ['mcp:tools:write']);
 */
export function checkScopes(claims: { scope?: string } | JwtClaims, requiredScopes: string[] | string): void;

/** What a resource says of itself (RFC 9728). */
export interface ProtectedResourceOptions {
  /** The resource's identifier: the `aud` of its tokens (RFC 8707). */
  resource: string;
  /** The issuers of its tokens. */
  authorizationServers: string[];
  scopesSupported?: string[];
  resourceName?: string;
}

/**
 * The resource's metadata (RFC 9728 §2), to serve at `protectedResourceMetadataUrl(resource)`.
 * @example
 * const metadata = protectedResourceMetadata({ resource: 'https://mcp.example/mcp', authorizationServers: ['https://auth.example'] });
 */
export function protectedResourceMetadata(options: ProtectedResourceOptions): {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ['header'];
  scopes_supported?: string[];
  resource_name?: string;
};

/**
 * Where a resource's metadata is served (RFC 9728 §3.1).
 * @example
 * protectedResourceMetadataUrl('https://mcp.example/mcp'); // 'https://mcp.example/.well-known/oauth-protected-resource/mcp'
 */
export function protectedResourceMetadataUrl(resource: string): string;

/**
 * The claims of a token, NOT verified (for UIs).
 * @example
 * const { sub, exp } = decode(accessToken);
 */
export function decode(token: string): JwtClaims;

/**
 * Whether a token (not verified) has expired at `now` with `leeway` seconds (default 0).
 * @example
 * if (isExpired(accessToken, { leeway: 30 })) await refresh();
 */
export function isExpired(token: string, options?: { leeway?: number; now?: number }): boolean;

/**
 * `exp - now` in seconds, zero or less once expired (not verified).
 * @example
 * const seconds = expiresIn(accessToken);
 */
export function expiresIn(token: string, options?: At): number;

/** What `/sessions` and `/token` answer (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
}

/** localStorage, sessionStorage, or anything with the same three methods. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SessionOptions {
  /** The issuer's base URL. */
  issuer: string | URL;
  /** A pair to start with (a `/sessions` or demo-login answer); otherwise restored from storage. */
  tokens?: TokenResponse;
  /**
   * Where the pair is kept (default: memory, which is the safe choice). Web storage
   * (`localStorage`, `sessionStorage`) survives reloads, but any script that runs on the page (an
   * XSS, a compromised dependency) can read it and take the refresh token, which keeps working
   * from anywhere until the session ends or its reuse is detected. Prefer memory and a fresh
   * login; or keep the refresh token on a back end for the front end and give the page only
   * access tokens; or bind the tokens to this browser's key with `dpop`, which makes a copied
   * refresh token useless elsewhere.
   */
  storage?: StorageLike;
  /**
   * DPoP (RFC 9449): `true` to prove possession of this browser's key (`DpopKey.load()`, in
   * IndexedDB) on every refresh and every `fetch`, or a `DpopKey` to use. Default `false`
   * (bearer tokens). The session must have been started with the key's thumbprint as
   * `dpop_jkt` (or an unbound session binds to the key on its first refresh).
   */
  dpop?: boolean | DpopKey;
  /**
   * Origins besides the issuer's that `fetch` sends the access token to (e.g.
   * `['https://api.example']`). Requests to any other origin get no token and no refresh on 401.
   */
  origins?: string[];
  storageKey?: string;
  /** Refresh when the access token expires within this many seconds (default 30). */
  skew?: number;
  fetch?: typeof fetch;
  /** The clock, in seconds (default: Date.now), for tests. */
  now?: () => number;
}

/** A failed refresh: the server's OAuth `error` and the HTTP status. */
export interface RefreshError extends JwtError {
  readonly error: string;
  readonly status: number;
}

/**
 * A front end's session: single-flight refresh, Web Locks across tabs, events `refresh` and `end`.
 * @example
 * const session = new Session({ issuer: 'https://auth.example', tokens, origins: ['https://api.example'] });
 * const me = await (await session.fetch('https://api.example/me')).json();
 */
export class Session extends EventTarget {
  constructor(options: SessionOptions);
  readonly active: boolean;
  /** The stored pair (a copy), or null; `token_type` is `'DPoP'` for tokens bound to a key. */
  readonly tokens: { access_token: string; refresh_token: string; token_type?: 'DPoP' } | null;
  /** The current access token, refreshed first when it is about to expire. */
  accessToken(): Promise<string>;
  /** Refreshes now; concurrent calls share one request. */
  refresh(options?: { force?: boolean }): Promise<TokenResponse>;
  /**
   * fetch with the access token, for the issuer's origin and `origins` only (`Bearer`, or
   * `DPoP` with a proof for this method and URL); one refresh and one retry on a 401 from
   * those, a retry with the nonce on a 401 `use_dpop_nonce`. Other URLs are fetched as they are.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * Clears the session here at once, then revokes it at the issuer. Rejects with
   * `ERR_REVOKE_FAILED` (with `status` and `retry()`) when the issuer could not be told.
   */
  end(): Promise<void>;
}

export interface DpopKeyOptions {
  /** The IndexedDB record the key is kept under (default `'edge-jwt:dpop'`). */
  name?: string;
  /** For a new key: `'ES256'` (default, in every browser) or `'EdDSA'` (where the browser has Ed25519). */
  algorithm?: 'ES256' | 'EdDSA';
  /** The IndexedDB factory (default `globalThis.indexedDB`); `null` keeps the key in memory. */
  indexedDB?: IDBFactory | null;
}

/**
 * A DPoP key pair held by this browser (RFC 9449): the private key is a non-extractable
 * `CryptoKey` in IndexedDB, shared by every tab and reload of the origin. Its `thumbprint` is
 * what the back end passes to the issuer's `/sessions` as `dpop_jkt`.
 * @example
 * const key = await DpopKey.load();
 * await fetch('/login', { method: 'POST', body: JSON.stringify({ user, password, dpop_jkt: key.thumbprint }) });
 * const session = new Session({ issuer, tokens, dpop: key });
 */
export class DpopKey {
  private constructor();
  /** The key under `name`, created on first use. */
  static load(options?: DpopKeyOptions): Promise<DpopKey>;
  /** Deletes the key under `name` (at logout, so that the next login binds a new key). */
  static remove(options?: Pick<DpopKeyOptions, 'name' | 'indexedDB'>): Promise<void>;
  readonly algorithm: 'ES256' | 'EdDSA';
  /** The key's RFC 7638 SHA-256 thumbprint (`cnf.jkt` of the tokens bound to it). */
  readonly thumbprint: string;
  /**
   * The `DPoP` header for one request; `accessToken` for a request to a resource (its hash
   * becomes `ath`), `nonce` when the server gave one.
   */
  proof(method: string, url: string | URL, options?: { accessToken?: string; nonce?: string; now?: number }): Promise<string>;
}
