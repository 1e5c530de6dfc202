// A resource server's side of OAuth through the installed package: how it refuses a request
// (the core's challenges, as the issuer and the Hono middleware answer) and where it says its
// tokens come from (RFC 9728).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { installPackage, importFrom } from './install.mjs';

let pkg;
before(async () => {
  pkg = await importFrom(installPackage());
});

test('resourceRefusal: the error and challenge for each kind of failure, with realm and resource_metadata', () => {
  const metadata = 'https://mcp.example/.well-known/oauth-protected-resource/mcp';
  assert.deepEqual(pkg.resourceRefusal(null, 'Bearer', { realm: 'api' }),
    { error: 'invalid_request', status: 401, challenge: 'Bearer realm="api"' });
  assert.deepEqual(pkg.resourceRefusal(null, 'Bearer', { resourceMetadata: metadata }),
    { error: 'invalid_request', status: 401, challenge: `Bearer resource_metadata="${metadata}"` });
  assert.deepEqual(pkg.resourceRefusal('ERR_JWT_EXPIRED', 'Bearer', { realm: 'api', description: 'expired "now"' }),
    { error: 'invalid_token', status: 401, challenge: 'Bearer realm="api", error="invalid_token", error_description="expired now"' });
  assert.deepEqual(pkg.resourceRefusal('ERR_DPOP_BINDING_MISMATCH', 'Bearer'),
    { error: 'invalid_dpop_proof', status: 401, challenge: 'DPoP error="invalid_dpop_proof", algs="EdDSA ES256"' });
  assert.deepEqual(pkg.resourceRefusal('ERR_DPOP_NONCE_REQUIRED', 'DPoP', { resourceMetadata: metadata }),
    { error: 'use_dpop_nonce', status: 401, challenge: `DPoP error="use_dpop_nonce", algs="EdDSA ES256", resource_metadata="${metadata}"` });
  assert.equal(pkg.resourceRefusal('ERR_JWT_EXPIRED', 'DPoP').challenge, 'DPoP error="invalid_token", algs="EdDSA ES256"');
});

test('protectedResourceMetadata and its URL (RFC 9728 §2, §3.1); bad options are refused with ERR_INVALID_OPTION', () => {
  const metadata = pkg.protectedResourceMetadata({ resource: 'https://mcp.example/mcp',
    authorizationServers: ['https://auth.example'], scopesSupported: ['mcp:tools'], resourceName: 'Tools' });
  assert.deepEqual(metadata, { resource: 'https://mcp.example/mcp', authorization_servers: ['https://auth.example'],
    bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'], resource_name: 'Tools' });
  assert.equal(pkg.protectedResourceMetadataUrl('https://mcp.example/mcp'), 'https://mcp.example/.well-known/oauth-protected-resource/mcp');
  assert.equal(pkg.protectedResourceMetadataUrl('https://api.example/'), 'https://api.example/.well-known/oauth-protected-resource');
  for (const bad of [{}, { resource: 'mcp', authorizationServers: ['https://a.example'] },
    { resource: 'https://m.example/#x', authorizationServers: ['https://a.example'] },
    { resource: 'https://m.example/', authorizationServers: [] },
    { resource: 'https://m.example/', authorizationServers: ['https://a.example'], scopesSupported: 'mcp' }]) {
    assert.throws(() => pkg.protectedResourceMetadata(bad), { code: 'ERR_INVALID_OPTION' }, JSON.stringify(bad));
  }
});
