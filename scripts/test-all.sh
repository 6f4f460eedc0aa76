#!/usr/bin/env bash
# Installs what the tests need, then runs every test of ordinance: the Rust workspace, the
# shipped policy tests, the PostgreSQL agreement tests, the Cedar comparison's tests, the
# Python wheel's pytest suite, the WASM package's Node tests, the browser test in headless
# Chromium, and a bounded fuzzing pass.
#
#   scripts/test-all.sh            # everything (what CI runs through .ci/run)
#   SKIP_INSTALL=1 scripts/test-all.sh
#
# Every install is skipped when the tool is already there, so a warm machine pays only for
# builds and tests. Steps run to the end even when one fails; the last line is the summary
# and the exit status is non-zero if any step failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TERM_COLOR=never
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
VENV="$ROOT/.venv"
WASM_DIR=bindings/wasm

step() { printf '\n=== [%4ss] %s\n' "$SECONDS" "$*"; }
passed=0
failed=0
failures=()
run() {
  local name=$1
  shift
  step "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "!!! step failed: $name"
  fi
}
must() {
  step "$1"
  shift
  "$@" || { echo "!!! install step failed: $*"; exit 1; }
}

# A clean run builds ~5 GB of targets (workspace, Cedar, PostgreSQL tests, Python, wasm,
# fuzz): say so up front when the disk cannot hold them, instead of failing mid-build.
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
step "disk: $((free_kb / 1024 / 1024)) GB free in $ROOT"
if [ "${free_kb:-0}" -lt $((8 * 1024 * 1024)) ]; then
  echo "warning: under 8 GB free; builds below may fail with 'No space left on device'"
fi

# ---------------------------------------------------------------- installs (idempotent)
install_apt() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

install_rust_tools() {
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  # The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
  local wbg
  wbg=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
  [ -n "$wbg" ] || { echo "wasm-bindgen not found in Cargo.lock"; return 1; }
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
    # No --locked: its lockfile names a webpki-roots release the registry does not serve.
    cargo install wasm-bindgen-cli --version "$wbg" --force
  fi
}

install_python() {
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -c 'import maturin, pytest, fastapi, httpx, psycopg, mypy' 2>/dev/null \
    || "$VENV/bin/pip" install -q 'maturin>=1.9.4,<2' 'pytest>=8' fastapi httpx 'psycopg[binary]' mypy
  [ -x "$VENV/bin/maturin" ] || "$VENV/bin/pip" install -q 'maturin>=1.9.4,<2'
}

install_node() {
  if [ ! -d "$WASM_DIR/node_modules/binaryen" ] || [ ! -d "$WASM_DIR/node_modules/playwright-core" ]; then
    (cd "$WASM_DIR" && npm ci --no-audit --no-fund)
  fi
}

install_fuzz() {
  if rustup toolchain list | grep -q '^nightly' && ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz || echo "cargo-fuzz could not be installed; the fuzz step will say so"
  fi
  return 0
}

if [ -z "${SKIP_INSTALL:-}" ]; then
  must "install: Debian packages (chromium, postgresql)" install_apt
  must "install: rust components, wasm32 target, wasm-bindgen-cli" install_rust_tools
  must "install: python venv (maturin, pytest, fastapi, httpx, psycopg, mypy)" install_python
  must "install: npm packages (binaryen, playwright-core)" install_node
  must "install: cargo-fuzz (nightly)" install_fuzz
fi

# ---------------------------------------------------------------- Rust
run "cargo fmt --check" cargo fmt --all -- --check
run "cargo clippy (workspace, all targets, -D warnings)" cargo clippy --workspace --all-targets -- -D warnings
run "cargo test --workspace (engine, cli, bindings, benches)" cargo test --workspace
run "cargo doc (workspace, rustdoc warnings denied)" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
run "ordinance test policies/ tests/seeds/" cargo run -q --bin ordinance -- test policies tests/seeds
run "ordinance fmt --check policies/ tests/seeds/" bash -c 'cargo run -q --bin ordinance -- fmt --check policies/*.ord tests/seeds/*.ord'
run "postgres: SQL filters and RLS agree with decide (real PostgreSQL)" \
  scripts/with-postgres.sh cargo test --manifest-path tests/postgres/Cargo.toml
run "example: a list endpoint on filter + SQL, checked against decide (real PostgreSQL)" \
  scripts/with-postgres.sh cargo run -q --manifest-path examples/rust-list-endpoint/Cargo.toml
run "cedar comparison: floor and Cedar encodings agree" cargo test --manifest-path benches/cedar/Cargo.toml

# ---------------------------------------------------------------- Python
python_tests() {
  rm -rf dist
  "$VENV/bin/maturin" build --release -m bindings/python/Cargo.toml -o dist \
    && "$VENV/bin/pip" install -q --force-reinstall --no-deps dist/*.whl \
    && scripts/with-postgres.sh "$VENV/bin/python" -m pytest -q bindings/python/tests examples/python
}
run "python: maturin wheel + pytest (bindings, FastAPI example, psycopg)" python_tests

# ---------------------------------------------------------------- WASM
wasm_build() {
  npm --prefix "$WASM_DIR" run build
}
run "wasm: build (wasm-release, wasm-bindgen nodejs + web, wasm-opt -Os --converge)" wasm_build
run "wasm: node --test" bash -c "node --test $WASM_DIR/tests/*.test.mjs"
browser_test() {
  local port server rc
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$ROOT" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  mkdir -p target/browser
  CHROMIUM=/usr/bin/chromium node "$WASM_DIR/tests/browser.mjs" \
    "http://127.0.0.1:$port/examples/team-tasks-web/" "$ROOT/target/browser"
  rc=$?
  kill "$server" 2>/dev/null
  return $rc
}
run "wasm: the Team Tasks page in headless Chromium" browser_test

# ---------------------------------------------------------------- fuzzing (bounded)
run "fuzz: every target for 30 s (cargo +nightly fuzz)" scripts/fuzz-smoke.sh 30

step "summary"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "test-all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
