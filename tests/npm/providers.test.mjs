// Tokens of the identity providers people already use, verified with the options the README's
// provider table names. Each fixture copies the provider's public formats member for member:
// the JWKS document as its endpoint serves it (x5c, x5t, extra members and all), the token's
// header and claims. The keys are generated here; the x5c certificates are stand-ins (DER of
// another key), which the verifier must never read.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { installPackage, importFrom } from './install.mjs';

let pkg;
let signer;
let publicJwk;
let otherKeyDer;
const T0 = 1767225600;
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

before(async () => {
  pkg = await importFrom(installPackage());
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  signer = pair.privateKey;
  const { n, e } = await jose.exportJWK(pair.publicKey);
  publicJwk = { n, e };
  // What an x5c entry would carry if it were trusted: another key altogether.
  const other = await jose.generateKeyPair('RS256', { extractable: true });
  otherKeyDer = Buffer.from((await jose.exportSPKI(other.publicKey)).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
});

function sign(header, claims) {
  return new jose.SignJWT(claims).setProtectedHeader(header).sign(signer);
}

function code(promiseOrFn) {
  try {
    promiseOrFn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a JwtError');
}

const x5t = (der) => createHash('sha1').update(der).digest('base64url');

test('Auth0: iss with a trailing slash, aud an array, JWKS entries with x5c and x5t', async () => {
  const kid = 'gXQfPo2kN4b7l5YyU8VnD';
  // https://{tenant}.auth0.com/.well-known/jwks.json
  const jwks = {
    keys: [
      { kty: 'RSA', use: 'sig', ...publicJwk, kid, x5t: x5t(otherKeyDer), x5c: [b64(otherKeyDer)], alg: 'RS256' },
    ],
  };
  const token = await sign({ alg: 'RS256', typ: 'JWT', kid }, {
    iss: 'https://example-tenant.us.auth0.com/',
    sub: 'auth0|65f1c2d3e4a5b6c7d8e9f0a1',
    aud: ['https://api.example.com', 'https://example-tenant.us.auth0.com/userinfo'],
    iat: T0, exp: T0 + 86400,
    scope: 'openid profile email read:messages',
    azp: 'Xw5k7bJ8fQ2mN9pR4tV6yZ1aC3eG5hK7',
  });
  const options = { issuer: 'https://example-tenant.us.auth0.com/', audience: 'https://api.example.com', typ: 'JWT' };
  const verifier = new pkg.Verifier(jwks, options);
  const claims = verifier.verify(token, { now: T0 + 60 });
  assert.equal(claims.sub, 'auth0|65f1c2d3e4a5b6c7d8e9f0a1');
  assert.deepEqual(await verifier.verifyAsync(token, { now: T0 + 60 }), claims);
  // Without the table's typ, the token is refused for its typ (the default is at+jwt).
  const strict = code(() => new pkg.Verifier(jwks, { ...options, typ: undefined }).verify(token, { now: T0 + 60 }));
  assert.equal(strict.code, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  assert.equal(strict.claim, 'typ');
  // The issuer without its trailing slash is another issuer.
  const noSlash = code(() => new pkg.Verifier(jwks, { ...options, issuer: 'https://example-tenant.us.auth0.com' }).verify(token, { now: T0 + 60 }));
  assert.equal(noSlash.claim, 'iss');
});

test('x5c is never read: a token signed by the key in x5c is refused', async () => {
  const kid = 'k1';
  const other = await jose.generateKeyPair('RS256', { extractable: true });
  const otherDer = Buffer.from((await jose.exportSPKI(other.publicKey)).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const jwks = { keys: [{ kty: 'RSA', use: 'sig', ...publicJwk, kid, x5c: [b64(otherDer)], alg: 'RS256' }] };
  const forged = await new jose.SignJWT({ sub: 'admin', exp: T0 + 60 }).setProtectedHeader({ alg: 'RS256', kid }).sign(other.privateKey);
  const verifier = new pkg.Verifier(jwks, { typ: null });
  assert.equal(code(() => verifier.verify(forged, { now: T0 })).code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  await assert.rejects(verifier.verifyAsync(forged, { now: T0 }), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
});

test('Amazon Cognito: access tokens by token_use and client_id (no aud), ID tokens by aud', async () => {
  const kid = 'abcdefghijklmnopqrsexample=';
  const pool = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34E';
  const clientId = '3n4b5urk1ft4fl3mg5e62d9ado';
  // https://cognito-idp.{region}.amazonaws.com/{userPoolId}/.well-known/jwks.json
  const jwks = { keys: [{ alg: 'RS256', e: publicJwk.e, kid, kty: 'RSA', n: publicJwk.n, use: 'sig' }] };
  const access = await sign({ kid, alg: 'RS256' }, {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-example', 'cognito:groups': ['admin'], iss: pool, version: 2,
    client_id: clientId, origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', event_id: 'cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa',
    token_use: 'access', scope: 'aws.cognito.signin.user.admin', auth_time: T0, exp: T0 + 3600, iat: T0,
    jti: 'dddddddd-eeee-ffff-aaaa-bbbbbbbbbbbb', username: 'my-test-user',
  });
  const id = await sign({ kid, alg: 'RS256' }, {
    sub: 'aaaaaaaa-bbbb-cccc-dddd-example', 'cognito:groups': ['admin'], email_verified: true, iss: pool,
    'cognito:username': 'my-test-user', origin_jti: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', aud: clientId,
    event_id: 'cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa', token_use: 'id', auth_time: T0, exp: T0 + 3600, iat: T0,
    jti: 'eeeeeeee-ffff-aaaa-bbbb-cccccccccccc', email: 'user@example.com',
  });
  const accessVerifier = new pkg.Verifier(jwks, { issuer: pool, typ: null, requiredClaims: { token_use: 'access', client_id: clientId } });
  const idVerifier = new pkg.Verifier(jwks, { issuer: pool, audience: clientId, typ: null, requiredClaims: { token_use: 'id' } });
  assert.equal(accessVerifier.verify(access, { now: T0 }).username, 'my-test-user');
  assert.equal(idVerifier.verify(id, { now: T0 }).email, 'user@example.com');
  // Each verifier refuses the other kind of token.
  const wrongUse = code(() => accessVerifier.verify(id, { now: T0 }));
  assert.equal(wrongUse.code, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  assert.equal(wrongUse.claim, 'token_use');
  assert.equal(wrongUse.reason, 'check_failed');
  assert.equal(code(() => idVerifier.verify(access, { now: T0 })).claim, 'aud');
  // An access token of another app client of the same pool.
  const otherClient = new pkg.Verifier(jwks, { issuer: pool, typ: null, requiredClaims: { token_use: 'access', client_id: 'another-client' } });
  assert.equal(code(() => otherClient.verify(access, { now: T0 })).claim, 'client_id');
  // A mistyped option is an error when the verifier is built, not a silent pass.
  assert.equal(code(() => new pkg.Verifier(jwks, { requiredClaims: ['token_use'] })).code, 'ERR_INVALID_OPTION');
});

test('Firebase and Google: ID tokens from the JWK endpoints', async () => {
  const kid = randomBytes(20).toString('hex');
  // https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com
  // and https://www.googleapis.com/oauth2/v3/certs serve the same shape.
  const jwks = { keys: [{ kty: 'RSA', alg: 'RS256', n: publicJwk.n, kid, e: publicJwk.e, use: 'sig' }] };
  const firebase = await sign({ alg: 'RS256', kid, typ: 'JWT' }, {
    iss: 'https://securetoken.google.com/my-project-1234', aud: 'my-project-1234', auth_time: T0,
    user_id: 'Xy1ZabCdEfGhIjKlMnOpQrStUv23', sub: 'Xy1ZabCdEfGhIjKlMnOpQrStUv23', iat: T0, exp: T0 + 3600,
    email: 'user@example.com', email_verified: true,
    firebase: { identities: { email: ['user@example.com'] }, sign_in_provider: 'password' },
  });
  const firebaseVerifier = new pkg.Verifier(jwks, { issuer: 'https://securetoken.google.com/my-project-1234', audience: 'my-project-1234', typ: null });
  assert.equal(firebaseVerifier.verify(firebase, { now: T0 }).firebase.sign_in_provider, 'password');
  assert.equal(code(() => new pkg.Verifier(jwks, { issuer: 'https://securetoken.google.com/my-project-1234', audience: 'another-project', typ: null })
    .verify(firebase, { now: T0 })).claim, 'aud');

  const google = await sign({ alg: 'RS256', kid, typ: 'JWT' }, {
    iss: 'https://accounts.google.com', azp: '1234567890-abc.apps.googleusercontent.com',
    aud: '1234567890-abc.apps.googleusercontent.com', sub: '110169484474386276334', email: 'user@example.com',
    email_verified: true, at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q', iat: T0, exp: T0 + 3600,
  });
  const googleVerifier = new pkg.Verifier(jwks, { issuer: 'https://accounts.google.com', audience: '1234567890-abc.apps.googleusercontent.com', typ: null });
  assert.equal(await googleVerifier.verifyAsync(google, { now: T0 }).then((c) => c.sub), '110169484474386276334');
});

test('Microsoft Entra ID v2: keys without alg, named by the algorithms option', async () => {
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const kid = 'nOo3ZDrODXEK1jKWhXslHR_KXEg';
  // https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys
  const jwks = {
    keys: [{
      kty: 'RSA', use: 'sig', kid, x5t: kid, ...publicJwk, x5c: [b64(otherKeyDer)],
      issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
    }],
  };
  const token = await sign({ typ: 'JWT', alg: 'RS256', kid }, {
    aud: '6e74172b-be56-4843-9ff4-e66a39bb12e3', iss: `https://login.microsoftonline.com/${tenant}/v2.0`,
    iat: T0, nbf: T0, exp: T0 + 3600, aio: 'AXQAi/8TAAAA', azp: '6e74172b-be56-4843-9ff4-e66a39bb12e3', azpacr: '0',
    name: 'Abe Lincoln', oid: '690222be-ff1a-4d56-abd1-7e4f7d38e474', preferred_username: 'abeli@microsoft.com',
    rh: 'I', scp: 'access_as_user', sub: 'HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ', tid: tenant,
    uti: 'fqiBqXLPj0eQa82S-IYFAA', ver: '2.0',
  });
  const options = { issuer: `https://login.microsoftonline.com/${tenant}/v2.0`, audience: '6e74172b-be56-4843-9ff4-e66a39bb12e3', typ: 'JWT' };
  // Without algorithms, an RSA key without alg is not used, and the error says what to write.
  const unnamed = code(() => new pkg.Verifier(jwks, options));
  assert.equal(unnamed.code, 'ERR_JWKS_INVALID');
  assert.match(unnamed.message, /algorithms: \["RS256"\]/);
  const verifier = new pkg.Verifier(jwks, { ...options, algorithms: ['RS256'] });
  assert.equal(verifier.verify(token, { now: T0 }).tid, tenant);
  assert.equal((await verifier.verifyAsync(token, { now: T0 })).scp, 'access_as_user');
});

test('Cloudflare Access: the certs document (keys, public_cert, public_certs) and CF_Authorization', async () => {
  const kid = randomBytes(32).toString('hex');
  const audTag = randomBytes(32).toString('hex');
  const pem = `-----BEGIN CERTIFICATE-----\n${b64(otherKeyDer)}\n-----END CERTIFICATE-----\n`;
  // https://<team>.cloudflareaccess.com/cdn-cgi/access/certs
  const certs = {
    keys: [{ kid, kty: 'RSA', alg: 'RS256', use: 'sig', e: publicJwk.e, n: publicJwk.n }],
    public_cert: { kid, cert: pem },
    public_certs: [{ kid, cert: pem }],
  };
  const token = await sign({ alg: 'RS256', kid }, {
    aud: [audTag], email: 'user@example.com', exp: T0 + 86400, iat: T0, nbf: T0,
    iss: 'https://example-team.cloudflareaccess.com', type: 'app',
    identity_nonce: '6ei69kawdKzMIAPF', sub: '7335d417-61da-459d-899c-0a01c76a2f94', country: 'US',
  });
  const verifier = new pkg.Verifier(certs, { issuer: 'https://example-team.cloudflareaccess.com', audience: audTag, typ: null });
  assert.equal(verifier.verify(token, { now: T0 }).email, 'user@example.com');
  assert.equal(code(() => new pkg.Verifier(certs, { issuer: 'https://example-team.cloudflareaccess.com', audience: 'another-application', typ: null })
    .verify(token, { now: T0 })).claim, 'aud');
});

test('Clerk: session tokens checked against the authorized parties (azp)', async () => {
  const kid = 'ins_2abcDEFghiJKLmnoPQRstuVWX';
  // https://<frontend-api>/.well-known/jwks.json
  const jwks = { keys: [{ use: 'sig', kty: 'RSA', kid, alg: 'RS256', n: publicJwk.n, e: publicJwk.e }] };
  const token = await sign({ alg: 'RS256', kid, typ: 'JWT' }, {
    azp: 'https://app.example.com', exp: T0 + 60, fva: [0, -1], iat: T0, iss: 'https://clerk.example.com',
    nbf: T0 - 10, sid: 'sess_2abcDEFghiJKLmnoPQRstuVWX', sub: 'user_2abcDEFghiJKLmnoPQRstuVWX', v: 2,
  });
  const options = { issuer: 'https://clerk.example.com', typ: 'JWT', authorizedParties: ['https://app.example.com'] };
  assert.equal(new pkg.Verifier(jwks, options).verify(token, { now: T0 }).sid, 'sess_2abcDEFghiJKLmnoPQRstuVWX');
  const elsewhere = code(() => new pkg.Verifier(jwks, { ...options, authorizedParties: ['https://other.example.com'] }).verify(token, { now: T0 }));
  assert.equal(elsewhere.claim, 'azp');
  assert.equal(elsewhere.reason, 'check_failed');
});
