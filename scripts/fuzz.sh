#!/usr/bin/env bash
# fuzz.sh TOOLCHAIN SECONDS [TARGET...]: runs each cargo-fuzz target for SECONDS, starting from
# the committed seeds (fuzz/seeds) and every past crash (fuzz/regressions), growing the
# git-ignored fuzz/corpus. A crash fails the run; its input lands in fuzz/artifacts/TARGET/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
toolchain="$1" seconds="$2"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode verify jwks json dpop)
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target" "fuzz/regressions/$target"
  echo "fuzz: $target for ${seconds} s"
  log="fuzz/artifacts/$target.log"
  mkdir -p fuzz/artifacts
  status=0
  cargo "+$toolchain" fuzz run --release "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" \
    "fuzz/regressions/$target" -- -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$log" | sed "s/^/fuzz: $target /" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target FAILED (exit $status); the input is in fuzz/artifacts/$target/" >&2
    exit "$status"
  fi
done
