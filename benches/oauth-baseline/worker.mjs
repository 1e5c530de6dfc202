// The baseline of the authorization code flow's benchmark: Cloudflare's own
// @cloudflare/workers-oauth-provider (pinned dev dependency), with a login handler that approves
// every request at once, as the app's back end approves every challenge in edge-jwt's run.
// Run only by `make bench` (benches/flow.mjs).
import { OAuthProvider } from '@cloudflare/workers-oauth-provider';

const login = {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== '/authorize') return new Response('not found', { status: 404 });
    const authRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
    const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
      request: authRequest, userId: 'alice', metadata: {}, scope: authRequest.scope, props: { sub: 'alice' },
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
});
