// Verify ops/s in Node, side by side in one run: edge-jwt (this package, dist/npm) against jose
// (keys pre-imported: its fast path), fast-jwt and jsonwebtoken (node:crypto underneath, the
// fastest a Node user picks), @tsndr/cloudflare-worker-jwt (CryptoKeys pre-imported) and
// node:crypto's check alone, on the same tokens; medians of interleaved rounds; plus the
// gzipped verify-only bundle sizes.
// Run with `make bench`. Never a pass/fail test: machines here are shared and noisy.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nodeCrypto from 'node:crypto';
import * as jose from 'jose';
import * as tsndr from '@tsndr/cloudflare-worker-jwt';
import { createVerifier as fastJwtVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const edge = await import(join(root, 'dist', 'npm', 'node.mjs'));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);

const now = Math.floor(Date.now() / 1000);
const cases = {};
const TSNDR_IMPORT = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
};
for (const alg of ['EdDSA', 'ES256', 'HS256', 'ES384', 'RS256', 'PS256']) {
  let privateKey, publicJwk, verifyKey;
  if (alg === 'HS256') {
    const secret = new Uint8Array(32).map((_, i) => i * 7 + 1);
    privateKey = secret;
    publicJwk = { kty: 'oct', k: jose.base64url.encode(secret), alg, kid: 'k' };
  } else {
    const pair = await jose.generateKeyPair(alg, { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await jose.exportJWK(pair.publicKey)), alg, kid: 'k' };
  }
  const token = await new jose.SignJWT({ sub: 'user-1', sid: 's', client_id: 'c', scope: 'read write' })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k' })
    .setIssuer('https://issuer.test').setAudience('https://api.test').setIssuedAt(now).setJti('j')
    .setExpirationTime(now + 3600).sign(privateKey);
  const joseKey = await jose.importJWK(publicJwk, alg);
  const edgeVerifier = new edge.Verifier({ keys: [publicJwk] }, { issuer: 'https://issuer.test', audience: 'https://api.test', algorithms: [alg] });
  let tsndrKey;
  if (TSNDR_IMPORT[alg]) {
    tsndrKey = await crypto.subtle.importKey('jwk', publicJwk, TSNDR_IMPORT[alg], false, ['verify']);
  } else if (alg === 'HS256') {
    tsndrKey = await crypto.subtle.importKey('raw', privateKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  }
  // The verified-token cache, warm: the same token again, its times checked again by the core.
  const cachedVerifier = new edge.Verifier({ keys: [publicJwk] }, { issuer: 'https://issuer.test', audience: 'https://api.test', algorithms: [alg], cache: { max: 10000 } });
  await cachedVerifier.verifyAsync(token);
  // The physical reference: node:crypto's signature check alone (no parse, no claims), one thread.
  const [signingInput, signatureText] = [token.slice(0, token.lastIndexOf('.')), token.slice(token.lastIndexOf('.') + 1)];
  const signature = Buffer.from(signatureText, 'base64url');
  const reference = alg === 'HS256'
    ? () => nodeCrypto.timingSafeEqual(nodeCrypto.createHmac('sha256', privateKey).update(signingInput).digest(), signature)
    : (() => {
      const key = nodeCrypto.createPublicKey({ key: publicJwk, format: 'jwk' });
      const hash = { EdDSA: null, ES256: 'sha256', ES384: 'sha384', RS256: 'sha256', PS256: 'sha256' }[alg];
      const options = alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' }
        : alg === 'PS256' ? { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
      return () => nodeCrypto.verify(hash, Buffer.from(signingInput), options, signature);
    })();
  // fast-jwt and jsonwebtoken (what a speed-minded Node user picks): node:crypto underneath,
  // the key as PEM (or the secret), the same claim checks; fast-jwt's own cache, warm.
  const nodeKey = alg === 'HS256' ? Buffer.from(privateKey)
    : nodeCrypto.createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const fastJwtOptions = { key: nodeKey, algorithms: [alg], allowedIss: 'https://issuer.test', allowedAud: 'https://api.test' };
  const fastJwt = fastJwtVerifier(fastJwtOptions);
  const fastJwtCached = fastJwtVerifier({ ...fastJwtOptions, cache: 10000 });
  fastJwtCached(token);
  const jsonwebtokenOptions = { algorithms: [alg], issuer: 'https://issuer.test', audience: 'https://api.test' };
  cases[alg] = {
    'node:crypto, the signature alone': reference,
    'fast-jwt': () => fastJwt(token),
    'fast-jwt cache hit': () => fastJwtCached(token),
    // jsonwebtoken 9 has no EdDSA.
    ...(alg === 'EdDSA' ? {} : { jsonwebtoken: () => jsonwebtoken.verify(token, nodeKey, jsonwebtokenOptions) }),
    'edge-jwt': () => edgeVerifier.verify(token),
    'edge-jwt cache hit': () => cachedVerifier.verify(token),
    ...(alg === 'HS256' ? {} : { 'edge-jwt verifyAsync': () => edgeVerifier.verifyAsync(token) }),
    jose: () => jose.jwtVerify(token, joseKey, { issuer: 'https://issuer.test', audience: 'https://api.test', algorithms: [alg] }),
    ...(tsndrKey ? { '@tsndr/cloudflare-worker-jwt': () => tsndr.verify(token, tsndrKey, { algorithm: alg, throwError: true }) } : {}),
  };
}

async function opsPerSecond(fn) {
  const end = performance.now() + ROUND_MS;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) await fn();
    n += 20;
  }
  return (n * 1000) / ROUND_MS;
}

// The same with 64 calls in flight, as a server verifying concurrent requests would: WebCrypto
// in Node runs on a thread pool, so an async path may use both cores.
const IN_FLIGHT = 64;
async function opsPerSecondInFlight(fn) {
  const end = performance.now() + ROUND_MS;
  let n = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await fn();
      n += 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return (n * 1000) / ROUND_MS;
}
for (const alg of ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256']) {
  const libs = cases[alg];
  cases[`${alg}, ${IN_FLIGHT} in flight`] = Object.fromEntries(
    Object.entries(libs).map(([lib, fn]) => [lib, { inFlight: fn }]),
  );
}
const measure = (fn) => (typeof fn === 'function' ? opsPerSecond(fn) : opsPerSecondInFlight(fn.inFlight));

// JWKS parse: a three-key public JWKS into something that verifies. jose imports each key.
{
  const pairs = await Promise.all(['EdDSA', 'ES256', 'EdDSA'].map((alg) => jose.generateKeyPair(alg, { extractable: true })));
  const jwks = { keys: await Promise.all(pairs.map(async (p, i) => ({ ...(await jose.exportJWK(p.publicKey)),
    alg: i === 1 ? 'ES256' : 'EdDSA', kid: `k${i}` }))) };
  cases['JWKS parse'] = {
    'edge-jwt': () => new edge.Verifier(jwks, { issuer: 'https://issuer.test' }),
    jose: () => Promise.all(jwks.keys.map((k) => jose.importJWK(k, k.alg))),
  };
}

// DPoP (RFC 9449): a browser's proof, signed (edge-jwt's DpopKey against the same proof made
// with jose), and a resource's check of a bound token with its proof (verifyRequest against
// jose checking the token, the proof with its embedded key, the thumbprint and `ath`). Every
// request carries a proof of its own (a proof is used once), all dated `now`.
{
  const url = 'https://api.test/orders';
  const pair = await jose.generateKeyPair('EdDSA', { extractable: true });
  const issuerJwk = { ...(await jose.exportJWK(pair.publicKey)), alg: 'EdDSA', kid: 'k' };
  const key = await edge.DpopKey.load({ indexedDB: null, name: 'bench' });
  const proofKeys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const proofJwk = await crypto.subtle.exportKey('jwk', proofKeys.publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x: proofJwk.x, y: proofJwk.y };
  const jkt = await jose.calculateJwkThumbprint(jwk);
  const token = await new jose.SignJWT({ sub: 'user-1', sid: 's', client_id: 'c', cnf: { jkt } })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k' })
    .setIssuer('https://issuer.test').setAudience('https://api.test').setIssuedAt(now).setJti('j')
    .setExpirationTime(now + 3600).sign(pair.privateKey);
  const sha256 = async (text) => jose.base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
  const ath = await sha256(token);
  const joseProof = () => new jose.SignJWT({ jti: crypto.randomUUID(), htm: 'GET', htu: url, ath })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt(now).sign(proofKeys.privateKey);
  cases['DPoP proof, ES256 (sign)'] = {
    'edge-jwt': () => key.proof('GET', url, { accessToken: token }),
    jose: async () => {
      await sha256(token); // jose has no ath helper: the hash is part of the work
      return joseProof();
    },
  };
  const POOL = Number(process.env.BENCH_DPOP_POOL ?? 30000);
  const proofs = await Promise.all(Array.from({ length: POOL }, joseProof));
  const requests = proofs.map((proof) => new Request(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } }));
  const options = { issuer: 'https://issuer.test', audience: 'https://api.test', algorithms: ['EdDSA'] };
  // A verifier remembers the proofs it saw: a new one every 5,000 requests keeps the replay
  // set at the size a busy isolate has, and the pool from running into its own replays.
  let edgeVerifier;
  let edgeNext = 0;
  let joseNext = 0;
  const issuerKey = await jose.importJWK(issuerJwk, 'EdDSA');
  const currentDate = new Date(now * 1000);
  cases['DPoP request, EdDSA token + ES256 proof (verify)'] = {
    'edge-jwt verifyRequest': () => {
      if (edgeNext % 5000 === 0) edgeVerifier = new edge.Verifier({ keys: [issuerJwk] }, options);
      return edgeVerifier.verifyRequest(requests[edgeNext++ % POOL], { now });
    },
    jose: async () => {
      const request = requests[joseNext++ % POOL];
      const accessToken = request.headers.get('authorization').slice(5);
      const { payload } = await jose.jwtVerify(accessToken, issuerKey, { ...options, currentDate });
      const { payload: proof, protectedHeader } = await jose.jwtVerify(request.headers.get('dpop'), jose.EmbeddedJWK,
        { typ: 'dpop+jwt', algorithms: ['ES256', 'EdDSA'], maxTokenAge: 60, currentDate });
      if (proof.htm !== request.method || proof.htu !== url || proof.ath !== await sha256(accessToken)
          || await jose.calculateJwkThumbprint(protectedHeader.jwk) !== payload.cnf.jkt) throw new Error('bad proof');
      return payload;
    },
  };
}

const samples = {};
for (const [alg, libs] of Object.entries(cases)) for (const lib of Object.keys(libs)) await measure(libs[lib]); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [alg, libs] of Object.entries(cases)) {
    for (const [lib, fn] of Object.entries(libs)) {
      (samples[`${alg} ${lib}`] ??= []).push(await measure(fn));
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Issue 33's targets: one call at a time, ≥ 1.0× the fastest of jose, fast-jwt and jsonwebtoken
// and ≥ 0.8× node:crypto's check alone (0.5× for HS256); 64 in flight, ≥ 1.0× jose; a cache hit
// ≥ 2× fast-jwt's.
const results = { node: process.version, rounds: ROUNDS, rows: {} };
const rows = [];
const PEERS = ['jose', 'fast-jwt', 'jsonwebtoken'];
for (const alg of Object.keys(cases)) {
  const ops = (lib) => median(samples[`${alg} ${lib}`] ?? [NaN]);
  const joseOps = ops('jose');
  const peers = PEERS.filter((lib) => cases[alg][lib] && !alg.includes('in flight'));
  const fastest = peers.length ? Math.max(...peers.map(ops)) : NaN;
  const reference = cases[alg]['node:crypto, the signature alone'] ? ops('node:crypto, the signature alone') : NaN;
  for (const lib of Object.keys(cases[alg])) {
    const mine = ops(lib);
    (results.rows[alg] ??= {})[lib] = mine;
    let verdict = '';
    if (lib === 'edge-jwt cache hit' && cases[alg]['fast-jwt cache hit']) {
      const ratio = mine / ops('fast-jwt cache hit');
      verdict = `${ratio.toFixed(2)}× fast-jwt's hit (≥ 2×: ${ratio >= 2 ? 'met' : 'NOT met'})`;
    } else if (lib.startsWith('edge-jwt') && alg.includes('in flight')) {
      verdict = `≥ 1× jose: ${mine / joseOps >= 1 ? 'met' : 'NOT met'}`;
    } else if ((lib === 'edge-jwt' || lib === 'edge-jwt verifyAsync') && fastest) {
      const floor = alg === 'HS256' ? 0.5 : 0.8;
      const [vsPeer, vsHost] = [mine / fastest, mine / reference];
      verdict = `${vsPeer.toFixed(2)}× fastest peer (≥ 1: ${vsPeer >= 1 ? 'met' : 'NOT met'}), ` +
        `${vsHost.toFixed(2)}× node:crypto (≥ ${floor}: ${vsHost >= floor ? 'met' : 'NOT met'})`;
    }
    rows.push(`| ${alg} | ${lib} | ${Math.round(mine).toLocaleString('en')} | ${(mine / joseOps).toFixed(2)}× | ${verdict} |`);
  }
}

// Verify-only bundles, minified by esbuild, gzipped (-9). edge-jwt's .wasm is counted too.
function bundleSize(source) {
  // Inside the project, so that bare imports resolve from its node_modules.
  mkdirSync(join(root, 'target'), { recursive: true });
  const dir = mkdtempSync(join(root, 'target', 'bench-size-'));
  writeFileSync(join(dir, 'entry.mjs'), source);
  const out = join(dir, 'out.js');
  execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), [join(dir, 'entry.mjs'), '--bundle', '--minify', '--format=esm',
    '--platform=browser', `--outfile=${out}`, '--log-level=error', '--loader:.wasm=file', `--resolve-extensions=.mjs,.js`,
    `--external:*.wasm`], { cwd: root });
  return gzipSync(readFileSync(out), { level: 9 }).length;
}
const wasmGz = gzipSync(readFileSync(join(root, 'dist', 'npm', 'edge_jwt_bg.wasm')), { level: 9 }).length;

/** A Vite production build of a page with `source` as its script: its JS (and wasm), gzipped. */
async function viteSize(source) {
  const { build } = await import('vite');
  mkdirSync(join(root, 'target'), { recursive: true });
  const dir = mkdtempSync(join(root, 'target', 'bench-vite-'));
  writeFileSync(join(dir, 'main.js'), source);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
  await build({ root: dir, logLevel: 'silent', configFile: false, build: { outDir: join(dir, 'dist') } });
  const assets = join(dir, 'dist', 'assets');
  return readdirSync(assets).filter((f) => /\.(js|wasm)$/.test(f))
    .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
}
const sizes = [
  ['edge-jwt (JS + .wasm)', bundleSize(`import { Verifier } from '${join(root, 'dist', 'npm', 'browser.mjs')}'; globalThis.V = Verifier;`) + wasmGz],
  // A page that only keeps a session (no wasm): edge-jwt/session with DpopKey (target ≤ 10 KB),
  // as Vite builds it for production.
  ['edge-jwt/session (Session + DpopKey)', await viteSize(`import { Session, DpopKey } from '${join(root, 'dist', 'npm', 'session-api.mjs')}'; globalThis.V = [Session, DpopKey];`)],
  ['jose (jwtVerify + importJWK)', bundleSize("import { jwtVerify, importJWK } from 'jose'; globalThis.V = [jwtVerify, importJWK];")],
  ['@tsndr/cloudflare-worker-jwt (verify)', bundleSize("import { verify } from '@tsndr/cloudflare-worker-jwt'; globalThis.V = verify;")],
];

results.sizes = Object.fromEntries(sizes);
mkdirSync(join(root, 'target', 'bench'), { recursive: true });
writeFileSync(join(root, 'target', 'bench', 'js.json'), JSON.stringify(results, null, 2));

console.log(`\nVerify, Node ${process.version}, median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms (ratio: to jose):\n`);
console.log('| Algorithm | Library | Verifies/s | vs jose | Targets (edge-jwt) |');
console.log('|---|---|---:|---:|---|');
for (const row of rows) console.log(row);
console.log('\nVerify-only bundle, esbuild --minify, gzip -9:\n');
console.log('| Package | Bytes gzipped |');
console.log('|---|---:|');
for (const [name, bytes] of sizes) console.log(`| ${name} | ${bytes.toLocaleString('en')} |`);
console.log(`\n(edge-jwt target: at most 100 KB; .wasm alone ${wasmGz.toLocaleString('en')} bytes)`);
