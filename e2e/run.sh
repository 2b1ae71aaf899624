#!/usr/bin/env bash
# Browser tests: build the server, start a demo instance on a throwaway SQLite
# database, run the node:test suites in e2e/tests/ against it with the system
# Chromium (playwright-core, no browser download), stop the server.
#
# Environment (all optional):
#   PORT            port for the demo server            (default 18080; PORT+1 serves a
#                   second demo with two districts under a province)
#   E2E_PASSWORD    password of every demo user         (default Demo2026pass)
#   SCREENSHOT_DIR  where tests save screenshots        (default <repo>/docs/screenshots)
#   CARGO_TARGET_DIR  respected when locating the binary
#   E2E_KEEP_TMP=1  keep the temp dir (database, server log) after the run
#   E2E_API_CONTRACT=1  then check the API against its OpenAPI document (e2e/schemathesis.sh)
#
# Arguments: test files to run (relative to e2e/), e.g. `bash e2e/run.sh tests/history.test.mjs`.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$E2E_DIR")"

PORT="${PORT:-18080}"
E2E_PASSWORD="${E2E_PASSWORD:-Demo2026pass}"
SCREENSHOT_DIR="${SCREENSHOT_DIR:-$ROOT/docs/screenshots}"
case "$SCREENSHOT_DIR" in /*) ;; *) SCREENSHOT_DIR="$PWD/$SCREENSHOT_DIR" ;; esac
BASE_URL="http://127.0.0.1:$PORT"

log() { echo "[e2e] $*"; }

# --- 1. Chromium and CJK fonts (Debian packages) ---------------------------
have_cjk_font() {
  command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto.*CJK'
}
if [ -x /usr/bin/chromium ] && have_cjk_font; then
  log "chromium and Noto CJK fonts present"
else
  log "installing chromium and fonts-noto-cjk"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium fonts-noto-cjk fontconfig
fi

# --- 2. Node dependencies ---------------------------------------------------
cd "$E2E_DIR"
if [ ! -d node_modules/playwright-core ] \
  || [ ! -f node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ] \
  || [ package.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
else
  log "node_modules up to date"
fi

# --- 3. Build the server ----------------------------------------------------
cd "$ROOT"
log "cargo build --bin dangjian"
cargo build --bin dangjian
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
BIN="$TARGET_DIR/debug/dangjian"
if [ ! -x "$BIN" ]; then
  echo "[e2e] server binary not found at $BIN" >&2
  exit 1
fi

# --- 4. Start a demo server -------------------------------------------------
if curl -fsS -o /dev/null --max-time 2 "$BASE_URL/healthz" 2>/dev/null; then
  echo "[e2e] something already answers on $BASE_URL; stop it or set PORT" >&2
  exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/dangjian-e2e.XXXXXX")"
SERVER_PID=""
PROVINCE_PID=""
PROVINCE_PORT=$((PORT + 1))
PROVINCE_URL="http://127.0.0.1:$PROVINCE_PORT"

cleanup() {
  local rc=$?
  if [ -n "$PROVINCE_PID" ]; then
    kill "$PROVINCE_PID" 2>/dev/null || true
    wait "$PROVINCE_PID" 2>/dev/null || true
  fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${E2E_KEEP_TMP:-}" = "1" ]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting demo server on $BASE_URL (log: $TMP/server.log)"
"$BIN" demo --members 3000 --db "sqlite://$TMP/e2e.db" --listen "127.0.0.1:$PORT" \
  --password "$E2E_PASSWORD" --reset >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null --max-time 2 "$BASE_URL/healthz" 2>/dev/null; then
    ready=1
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    break
  fi
  sleep 1
done
if [ "$ready" != 1 ]; then
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "[e2e] server did not answer $BASE_URL/healthz within 120 s" >&2
  else
    echo "[e2e] server exited before answering $BASE_URL/healthz" >&2
  fi
  echo "----- server log -----" >&2
  cat "$TMP/server.log" >&2 || true
  echo "----------------------" >&2
  exit 1
fi
log "server ready"

# A second instance with two districts under a province, for tests/province.test.mjs. It is
# generated while the other tests run; that test waits for it.
if curl -fsS -o /dev/null --max-time 2 "$PROVINCE_URL/healthz" 2>/dev/null; then
  echo "[e2e] something already answers on $PROVINCE_URL; stop it or set PORT" >&2
  exit 1
fi
log "starting a two-district demo on $PROVINCE_URL (log: $TMP/province.log)"
"$BIN" demo --members 400 --districts 2 --db "sqlite://$TMP/province.db" \
  --listen "127.0.0.1:$PROVINCE_PORT" --password "$E2E_PASSWORD" --reset >"$TMP/province.log" 2>&1 &
PROVINCE_PID=$!

# --- 5. Run the browser tests -----------------------------------------------
cd "$E2E_DIR"
set +e
# Arguments name test files to run (e.g. tests/history.test.mjs); none runs them all.
if [ "$#" -eq 0 ]; then set -- tests/; fi
BASE_URL="$BASE_URL" PROVINCE_URL="$PROVINCE_URL" E2E_PASSWORD="$E2E_PASSWORD" \
  SCREENSHOT_DIR="$SCREENSHOT_DIR" node --test "$@"
rc=$?
set -e

# The API against its OpenAPI document, on the same demo once the browser tests are through
# (it writes junk records, which no browser test should meet).
if [ "$rc" -eq 0 ] && [ "${E2E_API_CONTRACT:-}" = "1" ]; then
  log "API contract (Schemathesis)"
  set +e
  BASE_URL="$BASE_URL" E2E_PASSWORD="$E2E_PASSWORD" bash "$E2E_DIR/schemathesis.sh"
  rc=$?
  set -e
fi

if [ "$rc" -ne 0 ]; then
  echo "[e2e] tests failed (exit $rc); failure screenshots in $E2E_DIR/test-results/" >&2
  echo "----- server log (last 80 lines) -----" >&2
  tail -n 80 "$TMP/server.log" >&2 || true
  echo "----- two-district server log (last 20 lines) -----" >&2
  tail -n 20 "$TMP/province.log" >&2 || true
  echo "--------------------------------------" >&2
fi
exit "$rc"
