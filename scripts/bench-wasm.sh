#!/usr/bin/env bash
# webgrad's CPU benchmark in headless Chromium (wasm simd128, one thread, in a dedicated worker):
# the workloads of `cargo run --release -p webgrad-nn --example bench`, built the way the page is
# built (profile wasm-release). Runs twice: V8's default tiers (what a user sees first), then
# `--js-flags=--no-liftoff` (optimised code from the start: the steady state). A browser cannot
# read the machine load, so each row's "load" is /proc/loadavg sampled before and after its run,
# and "place" names the flags. Prints one JSON line per row, then a table.
#   scripts/bench-wasm.sh [--relaxed] [--threads]
# --relaxed adds two runs (default flags and --no-liftoff) of the build the page's relaxed worker
# is: the cargo feature webgrad-core/relaxed-simd, which compiles the relaxed-SIMD FMA kernel
# beside the simd128 one (its own target dir). Its rows use the relaxed kernel; its warm-up row
# records what the page's calibration (webgrad_core::cpu::calibrate) chose on this CPU. Not
# applied as in the page: trunk's wasm-opt -O3 (wasm-bindgen-test runs cargo's output).
# --threads adds a run at default flags of the threaded build (place "wasm-threads": the page's
# threaded worker's build, xtask/src/threads.rs: nightly, std with atomics, a pool of one thread
# per core; wasm-bindgen-test-runner serves it cross-origin isolated).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_TEST_TIMEOUT=900

# cargo's toolchain and -Z flags before `test` (the threaded run's), and features after it
toolchain=()
features=()

# waits (at most 2 minutes) until the 1-minute load is below 1, so that every run starts on a
# quiet machine rather than in the wake of the one before (its load decays over about a minute)
settle() {
  for _ in $(seq 24); do
    awk '{ exit !($1 < 1) }' /proc/loadavg && return
    sleep 5
  done
}

# $1: place label, $2: extra chromium argument (or ""), $3...: extra environment for cargo
run() {
  local place="$1" arg="$2"
  shift 2
  settle
  local wd
  wd="$(mktemp --suffix=.json)"
  python3 -c '
import json, sys
cfg = json.load(open("webdriver.json"))
if sys.argv[1]:
    cfg["goog:chromeOptions"]["args"].append(sys.argv[1])
json.dump(cfg, open(sys.argv[2], "w"))
' "$arg" "$wd"
  local before after out
  before="$(cut -d' ' -f1-3 /proc/loadavg)"
  out="$(env "$@" WASM_BINDGEN_TEST_WEBDRIVER_JSON="$wd" cargo ${toolchain[@]+"${toolchain[@]}"} test --profile wasm-release \
    -p webgrad-nn ${features[@]+"${features[@]}"} --target wasm32-unknown-unknown --test bench_wasm -- --nocapture 2>&1)" || {
    echo "$out" >&2
    exit 1
  }
  after="$(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$wd"
  echo "$out" | grep '^{' | python3 -c '
import json, sys
place, before, after = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
for line in sys.stdin:
    row = json.loads(line)
    row["place"] = place
    row["load"] = {"before": [float(x) for x in before], "after": [float(x) for x in after]}
    print(json.dumps(row, sort_keys=True))
' "$place" "$before" "$after"
}

rows="$(
  run wasm ""
  run wasm-no-liftoff "--js-flags=--no-liftoff"
  if [[ " $* " == *" --relaxed "* ]]; then
    features=(--features webgrad-core/relaxed-simd)
    run wasm-relaxed "" CARGO_TARGET_DIR=target/wasm-relaxed
    run wasm-relaxed-no-liftoff "--js-flags=--no-liftoff" CARGO_TARGET_DIR=target/wasm-relaxed
    features=()
  fi
  if [[ " $* " == *" --threads "* ]]; then
    toolchain=("+$(cargo xtask threads-worker --toolchain)" -Z build-std=panic_abort,std)
    run wasm-threads "" CARGO_TARGET_DIR=target/threads "RUSTFLAGS=$(cargo xtask threads-worker --rustflags)"
    toolchain=()
  fi
)"
echo "$rows"
echo
echo "$rows" | python3 -c '
import json, sys
fmt = "%-24s %-24s %-22s %11s %-10s %8s %10s  %s"
print(fmt % ("workload", "place", "device", "value", "unit", "ms/step", "1st epoch", "load 1 min before/after"))
for line in sys.stdin:
    r = json.loads(line)
    ms = "%.3f" % r["ms_per_step"] if "ms_per_step" in r else "-"
    first = "%.0f" % r["first_epoch_samples_per_s"] if "first_epoch_samples_per_s" in r else "-"
    load = "%.2f/%.2f" % (r["load"]["before"][0], r["load"]["after"][0])
    print(fmt % (r["workload"], r["place"], r["device"], "%.1f" % r["value"], r["unit"], ms, first, load))
'
