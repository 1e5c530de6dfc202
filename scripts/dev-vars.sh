#!/usr/bin/env bash
# Writes a .dev.vars (a fresh Ed25519 key and a client secret) at $1 if there is none, readable
# by its owner only: it holds the issuer's private key.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-.dev.vars}"
client_id="${2:-dev-backend}"
if [ -f "$target" ]; then
  chmod 600 "$target"
  exit 0
fi
umask 077
cargo run -q -p edge-jwt-cli -- dev-vars "$client_id" > "$target.tmp"
mv "$target.tmp" "$target"
echo "wrote $target (a fresh Ed25519 key and client secret; git-ignored, mode 600)"
