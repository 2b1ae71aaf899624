#!/usr/bin/env bash
# Checks the API against its OpenAPI document with Schemathesis (PyPI `schemathesis`), as an
# admin of a running demo: logs in through the form, issues an API token on the 「API」 page,
# then runs Schemathesis's default checks over every operation.
#
#   BASE_URL      the running demo                     (default http://127.0.0.1:18080)
#   E2E_PASSWORD  the demo logins' password            (default Demo2026pass)
#   ST_EXAMPLES   examples per operation               (default 30)
#   ST_VENV       where to install Schemathesis         (default <repo>/target/schemathesis-venv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_URL="${BASE_URL:-http://127.0.0.1:18080}"
E2E_PASSWORD="${E2E_PASSWORD:-Demo2026pass}"
ST_EXAMPLES="${ST_EXAMPLES:-30}"
ST_VENV="${ST_VENV:-$ROOT/target/schemathesis-venv}"
log() { echo "[schemathesis] $*"; }

if [ ! -x "$ST_VENV/bin/schemathesis" ]; then
  log "installing schemathesis into $ST_VENV"
  python3 -m venv "$ST_VENV" || {
    SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get install -y -q python3-venv
    python3 -m venv "$ST_VENV"
  }
  "$ST_VENV/bin/pip" install -q 'schemathesis==4.*'
fi

JAR="$(mktemp)"
trap 'rm -f "$JAR"' EXIT
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" | head -1 | sed 's/.*value="//; s/"$//'; }
csrf="$(curl -sf -c "$JAR" -b "$JAR" "$BASE_URL/login" | field csrf)"
curl -sf -o /dev/null -c "$JAR" -b "$JAR" \
  --data-urlencode "username=admin" --data-urlencode "password=$E2E_PASSWORD" \
  --data-urlencode "csrf=$csrf" "$BASE_URL/login"
csrf="$(curl -sf -c "$JAR" -b "$JAR" "$BASE_URL/tokens" | field csrf)"
token="$(curl -sf -c "$JAR" -b "$JAR" --data-urlencode "csrf=$csrf" \
  --data-urlencode "name=schemathesis" --data-urlencode "days=30" "$BASE_URL/tokens" \
  | grep -o "<code id=\"new-token\">[^<]*" | sed "s/.*>//" || true)"
if [ -z "$token" ]; then
  echo "[schemathesis] could not issue an API token as admin" >&2
  exit 1
fi
log "running against $BASE_URL/api/openapi.json"
"$ST_VENV/bin/schemathesis" --config-file "$ROOT/e2e/schemathesis.toml" run "$BASE_URL/api/openapi.json" \
  -H "Authorization: Bearer $token" --max-examples "$ST_EXAMPLES" --seed "${ST_SEED:-2026}"
