# edge-jwt: the README's commands. Each target installs what it needs, at pinned versions,
# and is quick when everything is already installed.
#   make dev    run the issuer locally (wrangler dev on 127.0.0.1:8787)
#   make test   run every test
#   make lint   formatting and clippy only

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Pinned tool versions (see ../shared/TOOLCHAIN.md for why each one).
WASM_TARGET := wasm32-unknown-unknown

export CARGO_TERM_COLOR ?= never

.PHONY: help dev test lint rust-tools core-wasm cargo-test

help:
	@echo "make dev   - run the issuer locally"
	@echo "make test  - run every test"
	@echo "make lint  - cargo fmt --check and clippy"

## Toolchain ------------------------------------------------------------------------------

# rustfmt, clippy and the wasm32 target, from rustup (its dist server is reachable).
rust-tools:
	@scripts/ensure-rust-tools.sh $(WASM_TARGET)

## Checks ---------------------------------------------------------------------------------

lint: rust-tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

cargo-test: rust-tools
	cargo test --workspace

# The core must build for the browser/Worker target, not only natively.
core-wasm: rust-tools
	cargo build -p edge-jwt-core --target $(WASM_TARGET) --release

test: lint cargo-test core-wasm
	@echo "make test: all checks passed"

dev: rust-tools
	cargo build --workspace
	@echo "The issuer Worker does not exist yet: the workspace builds. (make dev will run wrangler dev.)"
