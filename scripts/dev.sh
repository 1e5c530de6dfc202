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
unset CLOUDFLARE_API_TOKEN CLOUDFLARE_ACCOUNT_ID
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export PATH="$PWD/node_modules/.bin:$PATH"
# The demo page and its login are on locally only (wrangler.toml has no [assets], so a deploy
# carries neither), with 60-second access tokens so that refreshes show.
exec wrangler dev --ip 127.0.0.1 --port 8787 --assets www \
  --var EDGE_JWT_DEMO_LOGIN:true --var EDGE_JWT_ACCESS_TTL:60 --var EDGE_JWT_REGISTRATION:open "$@"
