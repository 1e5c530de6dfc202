#!/usr/bin/env bash
# wrangler's build command: the Rust Worker through worker-build, with every tool it would
# otherwise download pointed at a pinned local copy. Skips the build when crates/worker/build
# is newer than every source it comes from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/crates/worker/build/index.js"
if [ -f "$out" ] && [ -z "$(find "$root/crates/core" "$root/crates/worker/src" "$root/crates/worker/Cargo.toml" \
      "$root/Cargo.toml" "$root/Cargo.lock" -newer "$out" -type f -print -quit)" ]; then
  echo "build-worker: up to date"
  exit 0
fi
cd "$root/crates/worker"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
exec worker-build --release
