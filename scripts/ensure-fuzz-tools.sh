#!/usr/bin/env bash
# ensure-fuzz-tools.sh TOOLCHAIN CARGO_FUZZ_VERSION
# cargo fuzz needs a nightly compiler (sanitizers, -Z flags): a dated one from rustup, pinned,
# with nothing but rustc, cargo and rust-std. cargo-fuzz itself comes from the crates registry.
set -euo pipefail
toolchain="$1" version="$2"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$toolchain" --profile minimal
fi
"$(dirname "$0")/ensure-cargo-tool.sh" cargo-fuzz "$version" cargo-fuzz
