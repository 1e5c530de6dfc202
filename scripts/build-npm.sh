#!/usr/bin/env bash
# Builds the npm package `edge-jwt` into dist/npm and packs it as dist/edge-jwt-<version>.tgz:
# the wasm core (cargo, then the pinned wasm-bindgen and npm binaryen's wasm-opt, never
# Debian's), the JS entry points, the CommonJS bundle (esbuild) and the type declarations.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/dist/npm"
bin="$root/node_modules/.bin"
rm -rf "$out" && mkdir -p "$out"
# The package has a size budget (100 KB gzipped, README "Benchmarks"); the Worker has none. So the
# elliptic-curve crates, which Cargo.toml builds at opt-level 3 for the Worker's signatures,
# are built for size here: ES256 in the package goes to WebCrypto in verifyAsync.
size_first=()
for crate in p256 primeorder crypto-bigint elliptic-curve ecdsa hmac-sha256; do
  size_first+=(--config "profile.release.package.$crate.opt-level=\"z\"")
done
# The dated nightly ($1, the Makefile's NPM_TOOLCHAIN) rebuilds std for the package with
# panics that abort at once and carry no source locations: no panic formatting is linked. The
# core never panics on input (fuzzed, no unwrap on input), so nothing a user sees changes; a
# panic would be a trap either way. Its own target folder keeps the stable builds apart.
toolchain="${1:?the nightly toolchain for the package, from the Makefile}"
RUSTFLAGS="-Zlocation-detail=none" cargo "+$toolchain" build -p edge-jwt-wasm --target wasm32-unknown-unknown --release \
  --target-dir target/npm -Zbuild-std=std,panic_abort -Zpanic-immediate-abort \
  --config 'profile.release.panic="immediate-abort"' "${size_first[@]}"
wasm-bindgen --target web --out-dir "$out" --out-name edge_jwt \
  target/npm/wasm32-unknown-unknown/release/edge_jwt_wasm.wasm
# --low-memory-unused: Rust lays the stack first in memory (growing down to address 0), so the
# first KiB is touched only by a stack that has already overflowed; binaryen may then fold
# constant offsets into loads and stores. -Os comes out smaller than -Oz here.
"$bin/wasm-opt" --low-memory-unused -Os --converge --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/edge_jwt_bg.wasm" -o "$out/edge_jwt_bg.wasm"
rm -f "$out/edge_jwt.d.ts" "$out/edge_jwt_bg.wasm.d.ts"
cp crates/wasm/js/*.mjs crates/wasm/js/{index.d.ts,hono.d.ts,session.d.ts,package.json} "$out/"
# The same declarations for `require` (node.cjs): TypeScript reads a .d.ts of a "type": "module"
# package as ESM, which a CommonJS project cannot import (TS1479).
cp crates/wasm/js/index.d.ts "$out/index.d.cts"
cp crates/wasm/README.md "$out/README.md"
"$bin/esbuild" "$out/node-cjs.mjs" --bundle --platform=node --format=cjs \
  --outfile="$out/node.cjs" --log-level=error
rm "$out/node-cjs.mjs"
(cd "$root/dist" && rm -f edge-jwt-*.tgz && npm pack ./npm --silent >/dev/null)
echo "build-npm: $(ls "$root"/dist/edge-jwt-*.tgz)"
echo "build-npm: wasm $(wc -c < "$out/edge_jwt_bg.wasm") bytes, gzip -9: wasm $(gzip -9c "$out/edge_jwt_bg.wasm" | wc -c) + JS $(cat "$out/edge_jwt.js" "$out"/*.mjs | gzip -9c | wc -c) bytes (every entry point, unminified)"
