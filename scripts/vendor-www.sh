#!/usr/bin/env bash
# Copies the npm package's ESM build into www/vendor/edge-jwt (git-ignored) for the demo page.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/www/vendor/edge-jwt"
cp "$root"/dist/npm/*.mjs "$root"/dist/npm/{edge_jwt.js,edge_jwt_bg.wasm} "$root/www/vendor/edge-jwt/"
