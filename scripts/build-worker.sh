#!/usr/bin/env bash
# wrangler's build command: a Rust Worker through worker-build, with every tool it would
# otherwise download pointed at a pinned local copy. $1 is the crate (default: the issuer,
# crates/worker; make bench also builds benches/floor/rust). Skips the build when the crate's
# build/ is newer than every source it comes from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
crate="$root/${1:-crates/worker}"
out="$crate/build/index.js"
if [ -f "$out" ] && [ -z "$(find "$root/crates/core" "$crate/src" "$crate/Cargo.toml" \
      "$root/Cargo.toml" "$root/Cargo.lock" -newer "$out" -type f -print -quit)" ]; then
  echo "build-worker: up to date"
  exit 0
fi
cd "$crate"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
exec worker-build --release
