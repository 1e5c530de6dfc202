// The baseline of the authorization code flow's benchmark: Cloudflare's own
// @cloudflare/workers-oauth-provider (pinned dev dependency), with a login handler that approves
// every request at once, as the app's back end approves every challenge in edge-jwt's run.
// Run only by `make bench` (benches/flow.mjs).
import { OAuthProvider } from '@cloudflare/workers-oauth-provider';

const login = {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== '/authorize') return new Response('not found', { status: 404 });
    const authRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
    // A user per flow, as in edge-jwt's run (one user's new grant would revoke their earlier ones).
    const userId = crypto.randomUUID();
    const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
      request: authRequest, userId, metadata: {}, scope: authRequest.scope, props: { sub: userId },
    });
    return Response.redirect(redirectTo, 302);
  },
};

export default new OAuthProvider({
  apiRoute: '/api/',
  apiHandler: { fetch: () => new Response('ok') },
  defaultHandler: login,
  authorizeEndpoint: '/authorize',
  tokenEndpoint: '/token',
  clientRegistrationEndpoint: '/register',
  // Required by 1.2; a loopback identifier, as the port is only known once wrangler dev runs.
  resourceMetadata: { resource: 'http://127.0.0.1/api/', authorization_servers: ['http://127.0.0.1'] },
});
