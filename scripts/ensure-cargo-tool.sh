#!/usr/bin/env bash
# ensure-cargo-tool.sh CRATE VERSION BINARY
# Installs CRATE@VERSION with cargo unless BINARY --version already reports VERSION.
# `--locked` first (reproducible); without it when the registry no longer serves a version the
# tool's own lockfile pins (seen with wasm-bindgen-cli: docs/TOOLCHAIN.md).
set -euo pipefail
crate="$1" version="$2" binary="$3"
if "$binary" --version 2>/dev/null | grep -qw -- "$version"; then
  exit 0
fi
echo "installing $crate $version (one time; several minutes)"
cargo install --locked "$crate" --version "$version" \
  || cargo install --force "$crate" --version "$version"
