#!/usr/bin/env bash
# make dev: the issuer on http://127.0.0.1:8787 under wrangler dev, state kept in .wrangler/state.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/dev-vars.sh .dev.vars dev-backend
client_id=$(sed -n "s/^EDGE_JWT_CLIENTS='{\"\([^\"]*\)\".*/\1/p" .dev.vars)
cat <<MSG

  edge-jwt issuer: http://127.0.0.1:8787
  trusted client id: ${client_id} (its secret is in .dev.vars); for the README's curl examples:
    export SECRET="\$(sed -n "s/^EDGE_JWT_CLIENTS='{\\"${client_id}\\":\\"\\([^\\"]*\\)\\".*/\\1/p" .dev.vars)"
  demo page: http://127.0.0.1:8787/ (demo login on, 60 s access tokens)
  try: curl -s http://127.0.0.1:8787/.well-known/jwks.json
  managed keys, and watching them rotate: README, "Managed signing keys"
MSG
# SIGNIN=local: a real OpenID provider on :8788 (oidc-provider, any login and password) is the
# issuer's upstream, so /authorize signs users in through it instead of the demo's consent page.
extra=()
if [ "${SIGNIN:-}" = local ]; then
  node_modules/.bin/node scripts/dev-oidc-provider.mjs 8788 http://127.0.0.1:8787 &
  provider_pid=$!
  trap 'kill "$provider_pid" 2>/dev/null || true' EXIT
  extra=(--var "EDGE_JWT_UPSTREAMS:$(node_modules/.bin/node scripts/dev-oidc-provider.mjs --upstream 8788)")
  cat <<MSG
  sign-in: /authorize signs users in at the local OpenID provider http://127.0.0.1:8788
    (oidc-provider: any login and password; the user is local|<login>), then shows the issuer's
    consent page to clients you did not configure. Register one and open /authorize: README,
    "Sign-in through your identity provider"

MSG
else
  cat <<MSG
  sign in through a real OpenID provider instead of the demo's consent page:
    make dev SIGNIN=local   (oidc-provider on http://127.0.0.1:8788, any login)

MSG
fi
unset CLOUDFLARE_API_TOKEN CLOUDFLARE_ACCOUNT_ID
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export PATH="$PWD/node_modules/.bin:$PATH"
# The demo page and its login are on locally only (wrangler.toml has no [assets], so a deploy
# carries neither), with 60-second access tokens so that refreshes show.
wrangler dev --ip 127.0.0.1 --port 8787 --assets www \
  --var EDGE_JWT_DEMO_LOGIN:true --var EDGE_JWT_ACCESS_TTL:60 --var EDGE_JWT_REGISTRATION:open \
  "${extra[@]}" "$@"
