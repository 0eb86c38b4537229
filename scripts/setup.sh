#!/usr/bin/env bash
# Installs what webgrad's build and tests need, skipping what is already there (idempotent).
# Versions are pinned in step with the crates (see docs/TOOLCHAIN.md):
#   wasm-bindgen-cli 0.2.130 (= the wasm-bindgen crate), trunk 0.21.14 (newest for rustc 1.95),
#   npm binaryen 132 (wasm-opt; Debian's 108 corrupts wasm-bindgen output), Playwright 1.65.1,
#   TensorFlow.js 4.22.0 (+ wasm, webgpu backends) and jax-js 0.1.25 (the bench's peers),
#   nightly-2026-05-19 with rust-src (the threaded worker: std rebuilt with atomics),
#   Debian chromium + chromium-driver (headless browser tests), mesa-vulkan-drivers (native wgpu),
#   cargo-deny 0.20.2 (licences, duplicate versions, sources), and .venv-check with numpy 2.4.6 +
#   safetensors 0.8.0 (the independent reader of exported models).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
apt_pkgs=(chromium chromium-driver mesa-vulkan-drivers libvulkan1)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing system packages: ${missing[*]}. Run as root: $cmd"
    exit 1
  fi
fi

# --- Rust targets and cargo tools ------------------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# the threaded worker (xtask `threads-worker`) rebuilds std with atomics: a pinned nightly with
# its source (rustc 1.97.0-nightly 2026-05-18; about 10 s, 300 MB)
if ! rustup run nightly-2026-05-19 rustc --version >/dev/null 2>&1 \
  || ! rustup component list --installed --toolchain nightly-2026-05-19 | grep -q '^rust-src'; then
  say "installing the nightly-2026-05-19 toolchain with rust-src (the threaded worker's std)"
  rustup toolchain install nightly-2026-05-19 --profile minimal --component rust-src
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen 0.2.130" ]; then
  say "installing wasm-bindgen-cli 0.2.130 (about 3 minutes)"
  # no --locked: its lockfile wants a webpki-roots version the registry does not serve
  cargo install wasm-bindgen-cli --version 0.2.130 -j2 --quiet
fi
if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
  say "installing trunk 0.21.14 (about 8 minutes)"
  cargo install trunk --version 0.21.14 --locked -j2 --quiet
fi

if [ "$(cargo-deny --version 2>/dev/null)" != "cargo-deny 0.20.2" ]; then
  say "installing cargo-deny 0.20.2 (about 6 minutes)"
  cargo install cargo-deny --version 0.20.2 --locked -j2 --quiet
fi

# --- Python check environment ----------------------------------------------------------------
# numpy + safetensors: the independent reader of exported models (tests/roundtrip/check_export.py)
if ! .venv-check/bin/python -c "import numpy, safetensors" 2>/dev/null; then
  say "making .venv-check (numpy 2.4.6, safetensors 0.8.0) for the export round-trip check"
  rm -rf .venv-check
  python3 -m venv .venv-check
  .venv-check/bin/pip install --quiet --disable-pip-version-check numpy==2.4.6 safetensors==0.8.0
fi

# --- npm tools -------------------------------------------------------------------------------
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/playwright ] || [ ! -d node_modules/@tensorflow/tfjs ] \
  || [ ! -d node_modules/@jax-js/jax ] || [ ! -d node_modules/axe-core ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm tools (binaryen, playwright, axe-core; TensorFlow.js and jax-js for cargo xtask bench)"
  npm ci --no-audit --no-fund --loglevel=error
fi
:
