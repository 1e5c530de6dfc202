// A remote MCP server on Cloudflare Workers, its tokens from an edge-jwt issuer: the MCP
// TypeScript SDK's server over its web-standard Streamable HTTP transport, behind edge-jwt/hono.
// wrangler.toml: main = "mcp-server.mjs", compatibility_flags = ["nodejs_compat"] (the SDK's),
// [vars] ISSUER = "https://auth.example.com", and the issuer's KV namespace bound as EDGE_JWT_KV
// (its revocation list).
import { Hono } from 'hono';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { edgeJwt, protectedResource } from 'edge-jwt/hono';
import { protectedResourceMetadataUrl } from 'edge-jwt';

const app = new Hono();
// The server's identifier (RFC 8707): the audience of its tokens. List it in the issuer's
// EDGE_JWT_RESOURCES.
const resourceOf = (c) => `${new URL(c.req.url).origin}/mcp`;

// Where its tokens come from (RFC 9728), which MCP clients discover from a 401.
app.get('/.well-known/oauth-protected-resource/mcp', (c) => protectedResource({
  resource: resourceOf(c), authorizationServers: [c.env.ISSUER], scopesSupported: ['mcp:tools'],
})(c));

let auth; // one verifier per isolate: its keys are fetched once and kept
app.use('/mcp', (c, next) => {
  auth ??= edgeJwt({
    issuer: c.env.ISSUER, audience: resourceOf(c), requiredScopes: ['mcp:tools'],
    resourceMetadata: protectedResourceMetadataUrl(resourceOf(c)), kv: 'EDGE_JWT_KV', realm: 'mcp',
  });
  return auth(c, next);
});

// A server per request (stateless Streamable HTTP): its tools see the verified claims.
app.all('/mcp', async (c) => {
  const claims = c.get('jwtPayload');
  const server = new McpServer({ name: 'edge-jwt-example', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the access token says you are' }, async () => ({
    content: [{ type: 'text', text: JSON.stringify({ sub: claims.sub, email: claims.email, client: claims.client_id }) }],
  }));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(c.req.raw);
});

export default app;
