# edge-jwt: the README's commands. Each target installs what it needs, at pinned versions,
# and is quick when everything is already installed.
#   make dev    run the issuer locally (wrangler dev on 127.0.0.1:8787)
#   make test   run every test
#   make lint   formatting and clippy only

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Pinned tool versions (docs/TOOLCHAIN.md says why each one). wasm-bindgen-cli must equal
# the wasm-bindgen crate pinned in Cargo.toml; worker-build must match the worker crate's line.
WASM_TARGET          := wasm32-unknown-unknown
WASM_BINDGEN_VERSION := 0.2.130
WORKER_BUILD_VERSION := 0.8.7
WASM_PACK_VERSION    := 0.15.1
# cargo fuzz needs nightly: a dated one, so a run today and a run next year build alike.
FUZZ_TOOLCHAIN       := nightly-2026-05-20
# The npm package's wasm: the same dated nightly, with rust-src and the wasm32 target, to
# rebuild std with panics that abort at once (scripts/build-npm.sh says why).
NPM_TOOLCHAIN        := $(FUZZ_TOOLCHAIN)
CARGO_FUZZ_VERSION   := 0.13.2
FUZZ_SECONDS         ?= 300
FUZZ_SMOKE_SECONDS   ?= 20
# twiggy: what each part of the npm package's wasm costs (make size).
TWIGGY_VERSION       := 0.7.0

export CARGO_TERM_COLOR ?= never
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help dev test bench size profile profile-verify npm-toolchain lint fuzz fuzz-smoke fuzz-tools tools rust-tools cargo-tools node-tools chromium core-wasm cargo-test worker-build e2e npm wasm-test npm-test

help:
	@echo "make dev   - run the issuer locally on http://127.0.0.1:8787"
	@echo "make test  - run every test"
	@echo "make lint  - cargo fmt --check and clippy"
	@echo "make bench - core, npm package and Worker speed and sizes against baselines (never in make test)"
	@echo "make profile-verify - where the npm package's verify spends its time (PROFILE_ALG, default HS256; PROFILE_RUNTIME=workerd)"
	@echo "make size  - what each part of the npm package's wasm costs, largest first (twiggy)"
	@echo "make profile - a CPU profile of the issuer's isolate under load: where POST /token's time goes"
	@echo "make fuzz  - each cargo-fuzz target for FUZZ_SECONDS (default 300) seconds"

## Toolchain ------------------------------------------------------------------------------

tools: rust-tools cargo-tools node-tools chromium npm-toolchain

# rustfmt, clippy and the wasm32 target, from rustup.
rust-tools:
	@scripts/ensure-rust-tools.sh $(WASM_TARGET)

# wasm-bindgen and worker-build from the crates registry: worker-build would otherwise download
# wasm-bindgen, wasm-opt and esbuild from GitHub, which is unreachable.
cargo-tools:
	@scripts/ensure-cargo-tool.sh wasm-bindgen-cli $(WASM_BINDGEN_VERSION) wasm-bindgen
	@scripts/ensure-cargo-tool.sh worker-build $(WORKER_BUILD_VERSION) worker-build
	@scripts/ensure-cargo-tool.sh wasm-pack $(WASM_PACK_VERSION) wasm-pack

# Debian's chromium + chromium-driver, for the wasm-bindgen and package tests in a browser.
chromium:
	@scripts/ensure-chromium.sh

# wrangler, the Node 22 it needs (npm package `node`), esbuild, binaryen's wasm-opt, jose.
node-tools: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	# `npm ci` trips over npm's lockfile bug with optional platform packages (workerd-darwin-*);
	# `npm install --no-save` installs exactly the locked versions without rewriting the lockfile.
	npm install --no-save --no-audit --no-fund --loglevel=error
	@touch $@

# A dated nightly and cargo-fuzz, for the fuzz targets in fuzz/.
fuzz-tools:
	@scripts/ensure-fuzz-tools.sh $(FUZZ_TOOLCHAIN) $(CARGO_FUZZ_VERSION)

## Checks ---------------------------------------------------------------------------------

lint: rust-tools
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p edge-jwt-wasm -p edge-jwt-worker --target $(WASM_TARGET) -- -D warnings

cargo-test: rust-tools
	cargo test --workspace

# The core must build for the browser/Worker target, not only natively.
core-wasm: rust-tools
	cargo build -p edge-jwt-core --target $(WASM_TARGET) --release

worker-build: tools
	bash scripts/build-worker.sh

# The dated nightly the npm package's wasm is built with, with rust-src and the wasm32 target.
npm-toolchain:
	@scripts/ensure-npm-toolchain.sh $(NPM_TOOLCHAIN) $(WASM_TARGET)

# The npm package: dist/npm and dist/edge-jwt-<version>.tgz.
npm: tools npm-toolchain
	bash scripts/build-npm.sh $(NPM_TOOLCHAIN)
	bash scripts/vendor-www.sh

# The same #[wasm_bindgen_test] suite in Node and in headless Chromium (Debian's, pointed to
# explicitly; --mode no-install: wasm-pack must never download anything).
wasm-test: tools
	wasm-pack --log-level warn test --mode no-install --node crates/wasm
	wasm-pack --log-level warn test --mode no-install --headless --chrome --chromedriver /usr/bin/chromedriver crates/wasm

# The packed tarball, installed in a fresh folder: Node (ESM and require), a Worker under
# wrangler dev, Chromium, Deno; then the TypeScript declarations under tsc --strict.
npm-test: npm
	node_modules/.bin/node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout 'tests/npm/*.test.mjs'
	node_modules/.bin/tsc -p tests/npm/types/tsconfig.json

# End-to-end: real `wrangler dev` instances on free loopback ports (tests/e2e).
e2e: tools worker-build npm
	cargo build -q -p edge-jwt-cli
	node_modules/.bin/node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout 'tests/e2e/*.test.mjs'

# Token decoding, verification and JWKS parsing under libFuzzer: a short run of each in
# make test (seeds and past crashes first), a long one in make fuzz.
fuzz-smoke: fuzz-tools
	scripts/fuzz.sh $(FUZZ_TOOLCHAIN) $(FUZZ_SMOKE_SECONDS)

fuzz: fuzz-tools
	scripts/fuzz.sh $(FUZZ_TOOLCHAIN) $(FUZZ_SECONDS)

test: lint cargo-test core-wasm wasm-test npm-test e2e fuzz-smoke
	@echo "make test: all checks passed"

## Benchmarks (never in make test's pass/fail) -------------------------------------------

# Core native (criterion), the npm package in Node, the Worker under wrangler dev against a
# jose baseline Worker, bundle sizes; then the README's table (benches/report.mjs).
bench: npm worker-build
	cargo bench -p edge-jwt-core --bench core
	node_modules/.bin/node benches/verify-js.mjs
	node_modules/.bin/node benches/verify-workerd.mjs
	node_modules/.bin/node benches/worker.mjs
	node_modules/.bin/node benches/flow.mjs
	node_modules/.bin/node benches/report.mjs

# Where the issuer's time goes: a CPU profile of its isolate under load (PROFILE_ROUTE=introspect
# for POST /introspect).
profile: tools worker-build
	node_modules/.bin/node benches/profile.mjs

# Where the package's `verify` spends its time (PROFILE_ALG=HS256 by default), beside the bare
# HMAC and jose; PROFILE_RUNTIME=workerd profiles it inside wrangler dev instead.
PROFILE_RUNTIME ?= node
profile-verify: npm
ifeq ($(PROFILE_RUNTIME),workerd)
	node_modules/.bin/node benches/profile-verify-workerd.mjs
else
	node_modules/.bin/node benches/profile-verify.mjs
endif

# The package's wasm before wasm-bindgen and wasm-opt, where the function names are still
# there: sizes relative to each other, not the shipped bytes (make bench has those).
size: npm
	@scripts/ensure-cargo-tool.sh twiggy $(TWIGGY_VERSION) twiggy
	twiggy top -n 40 target/npm/wasm32-unknown-unknown/release/edge_jwt_wasm.wasm

## Running --------------------------------------------------------------------------------

dev: tools worker-build npm
	@SIGNIN=$(SIGNIN) scripts/dev.sh
