#!/usr/bin/env bash
# ensure-npm-toolchain.sh TOOLCHAIN TARGET
# The npm package's wasm is built with a dated nightly from rustup (scripts/build-npm.sh): its
# rustc, cargo, rust-src (std is rebuilt) and the wasm32 target, each installed only when missing.
set -euo pipefail
toolchain="$1" target="$2"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$toolchain" --profile minimal
fi
if ! rustup component list --toolchain "$toolchain" --installed 2>/dev/null | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain "$toolchain"
fi
if ! rustup target list --toolchain "$toolchain" --installed | grep -qx "$target"; then
  rustup target add "$target" --toolchain "$toolchain"
fi
