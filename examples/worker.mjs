// A Worker in front of your API, bound to the issuer's KV namespace (its revocation list):
// one call checks the signature, the expiry and the revocation list.
import { Verifier, RemoteJwks } from 'edge-jwt';

// Built once per isolate, never per request: it keeps the key set and the DPoP proofs it has
// seen (a verifier built in `fetch` would forget them, so a replayed proof would pass).
let verifier;

export default {
  async fetch(request, env) {
    verifier ??= Verifier.fromRemote(new RemoteJwks(`${env.ISSUER}/.well-known/jwks.json`), {
      issuer: env.ISSUER, audience: env.AUDIENCE, // RFC 9068 §4: check the audience
    });
    try {
      // Authorization: Bearer … or DPoP … with its proof (any case, RFC 7235).
      const claims = await verifier.verifyRequest(request, { kv: env.EDGE_JWT_KV });
      return Response.json({ hello: claims.sub });
    } catch (e) {
      return Response.json({ error: e.code }, { status: 401 });
    }
  },
};
