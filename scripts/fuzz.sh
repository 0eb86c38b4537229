#!/usr/bin/env bash
# Fuzzes webgrad-data's parsers with cargo-fuzz (libFuzzer + AddressSanitizer, debug assertions
# and overflow checks on): every target of fuzz/ (csv, idx, npy, gzip, auto) for a bounded time,
# starting from the committed seed corpus fuzz/corpus/<target>/. Each target parses its input in
# one piece and in 2-3 chunks and fails unless both agree (see fuzz/src/lib.rs).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default: 60 s, every target)
#
# Fails (exit 1) on any crash: a panic, a chunked/one-piece disagreement, an input slower than
# FUZZ_TIMEOUT s, or memory over FUZZ_RSS_MB MiB (one allocation or the whole process), as an
# allocation sized from a hostile header would take. A crashing input is saved under
# fuzz/artifacts/<target>/; reproduce with
#   cargo +<toolchain> fuzz run --debug-assertions <target> fuzz/artifacts/<target>/crash-...
# and, once fixed, keep it as fuzz/corpus/<target>/crash-<what> with a test in
# crates/webgrad-data/tests/all/fuzz_found.rs.
#
# Installs what is missing (idempotent): cargo-fuzz 0.13.2; the nightly toolchain if rustup can
# get it (tried once per fuzz/target), else the stable one with RUSTC_BOOTSTRAP=1, which lets
# cargo-fuzz's -Z sanitizer flags through. Builds in fuzz/target (its own workspace, never the
# main target/); libFuzzer's new inputs go to fuzz/target/corpus-work/, not into the committed
# corpus; logs to fuzz/target/logs/.
#
# Environment: FUZZ_TOOLCHAIN (a rustup toolchain, overrides the choice above), FUZZ_JOBS
# (cargo build jobs, default 2), FUZZ_RSS_MB (2048), FUZZ_MAX_LEN (input bytes, 65536),
# FUZZ_TIMEOUT (seconds per input, 30), FUZZ_PARALLEL (targets at once, default: the core
# count). The limits fit together: 64 KiB of gzip inflate to at most ~67 MB, whose largest
# honest result (u8 -> f32, held twice by the harness) stays near 1 GiB and parses well within
# the timeout, so going over means an allocation the input does not justify.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
jobs=${FUZZ_JOBS:-2}
rss_mb=${FUZZ_RSS_MB:-2048}
max_len=${FUZZ_MAX_LEN:-65536}
input_timeout=${FUZZ_TIMEOUT:-30}
case $seconds in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2; exit 2 ;; esac

say() { printf 'fuzz: %s\n' "$*"; }
start_all=$SECONDS

# --- tools -----------------------------------------------------------------------------------
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 1-2 minutes)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked -j "$jobs" --quiet
fi

mkdir -p fuzz/target/logs fuzz/target/corpus-work
toolchain=${FUZZ_TOOLCHAIN:-}
no_nightly=fuzz/target/.no-nightly
if [ -z "$toolchain" ]; then
  if rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=nightly
  elif [ ! -e "$no_nightly" ]; then
    say "installing the nightly toolchain (tried once; on failure stable + RUSTC_BOOTSTRAP=1 is used)"
    if timeout 900 rustup toolchain install nightly --profile minimal; then
      toolchain=nightly
    else
      touch "$no_nightly"
    fi
  fi
  if [ -z "$toolchain" ]; then
    toolchain=stable
  fi
fi
rustc_version=$(rustup run "$toolchain" rustc --version)
case $rustc_version in
  *nightly* | *-dev*) ;;
  *) export RUSTC_BOOTSTRAP=1 ;;
esac
say "toolchain: $toolchain ($rustc_version)${RUSTC_BOOTSTRAP:+ with RUSTC_BOOTSTRAP=1}"

# --- build -----------------------------------------------------------------------------------
export CARGO_BUILD_JOBS=$jobs
fuzz=(cargo "+$toolchain" fuzz)
flags=(--debug-assertions --target-dir fuzz/target)
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <("${fuzz[@]}" list)
fi
start_build=$SECONDS
if [ $# -gt 0 ]; then
  for t in "${targets[@]}"; do "${fuzz[@]}" build "${flags[@]}" "$t"; done
else
  "${fuzz[@]}" build "${flags[@]}"
fi
say "built ${targets[*]} in $((SECONDS - start_build)) s"

# --- run -------------------------------------------------------------------------------------
# libFuzzer runs one thread per target: FUZZ_PARALLEL targets at a time (default: one per core),
# each with the same time and limits as alone. Each writes its summary line to logs/<target>.result.
parallel=${FUZZ_PARALLEL:-$(nproc)}
fuzz_one() {
  local t=$1 work=fuzz/target/corpus-work/$1 log=fuzz/target/logs/$1.log start_t=$SECONDS status=ok
  local runs rss corpus
  mkdir -p "$work"
  # The committed corpus is read only: new inputs go to the first directory, $work.
  if ! timeout $((seconds * 2 + 300)) "${fuzz[@]}" run "${flags[@]}" "$t" "$work" "fuzz/corpus/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" \
      -max_len="$max_len" -timeout="$input_timeout" -print_final_stats=1 >"$log" 2>&1; then
    status=FAILED
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  if [ -z "$runs" ]; then
    runs=$({ grep -Eo '^#[0-9]+' "$log" || true; } | tail -n1 | tr -d '#')
  fi
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n1)
  corpus=$(find "$work" -type f | wc -l)
  printf '%-5s %-6s %10s runs  %5s s  peak RSS %5s MiB  work corpus %5s inputs\n' \
    "$t" "$status" "${runs:-?}" "$((SECONDS - start_t))" "${rss:-?}" "$corpus" >"fuzz/target/logs/$t.result"
}
for t in "${targets[@]}"; do
  rm -f "fuzz/target/logs/$t.result"
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  say "$t: fuzzing for $seconds s (log: fuzz/target/logs/$t.log)"
  fuzz_one "$t" &
done
wait
failed=()
summary=()
for t in "${targets[@]}"; do
  line=$(cat "fuzz/target/logs/$t.result" 2>/dev/null || printf '%-5s FAILED (no result: the run was killed)' "$t")
  summary+=("$line")
  say "$line"
  case $line in
    *FAILED*)
      failed+=("$t")
      # What went wrong: the panic or sanitizer report, and where libFuzzer saved the input.
      log=fuzz/target/logs/$t.log
      grep -E -A6 "panicked at|^==[0-9]+== ?ERROR|^SUMMARY|Test unit written to|out-of-memory|timeout after" "$log" | head -n 40 >&2 || tail -n 40 "$log" >&2
      ;;
  esac
done

say "summary ($seconds s per target, $((SECONDS - start_all)) s in all):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]} (inputs under fuzz/artifacts/; logs under fuzz/target/logs/)"
  exit 1
fi
say "no crashes"
