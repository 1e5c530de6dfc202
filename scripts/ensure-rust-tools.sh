#!/usr/bin/env bash
# Installs rustfmt, clippy and the wasm32 target through rustup, only when missing.
set -euo pipefail
target="${1:-wasm32-unknown-unknown}"
installed_components=$(rustup component list --installed 2>/dev/null || true)
for component in rustfmt clippy; do
  if ! grep -q "^${component}" <<<"$installed_components"; then
    rustup component add "$component"
  fi
done
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
