#!/usr/bin/env bash
# The suites on Citus (issue 16): builds the extension with the shared script if this machine's
# PostgreSQL 15 lacks it, starts a coordinator and two workers on 127.0.0.1 (ports CITUS_PORT and
# the next two), and runs the store suites and the application's Citus test against it with
# DANGJIAN_TEST_CITUS set. Those sessions refuse any statement that touches more than one shard,
# so a pass means every store function, and the demo's figures as the pages read them, were
# routed to a single shard. Then `dangjian migrate` is run on the coordinator to show what it
# distributes, and the cluster is stopped (its data stays under /var/tmp/citus-CITUS_PORT).
#   bash bench/citus.sh
#   CITUS_DIR=/path/to/vendor/citus CITUS_PORT=9790 bash bench/citus.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CITUS_DIR="${CITUS_DIR:-../shared/vendor/citus}"
CITUS_PORT="${CITUS_PORT:-9790}"
if [ ! -f /usr/lib/postgresql/15/lib/citus.so ]; then
  echo "== building Citus with $CITUS_DIR/build.sh"
  bash "$CITUS_DIR/build.sh"
fi
echo "== starting a coordinator and two workers on $CITUS_PORT"
URL="$(bash "$CITUS_DIR/cluster.sh" start 2 "$CITUS_PORT" | tail -1)"
trap 'bash "$CITUS_DIR/cluster.sh" stop "$CITUS_PORT"' EXIT

echo "== store suites and the Citus test on $URL"
DANGJIAN_TEST_CITUS="$URL" cargo test -p dangjian-store -p dangjian-app --test citus

echo "== dangjian migrate on the coordinator (a database of its own)"
# Citus does not create a database on the workers: each node gets its own, with the extension.
for port in $CITUS_PORT $((CITUS_PORT + 1)) $((CITUS_PORT + 2)); do
  psql "postgres://postgres@127.0.0.1:$port/postgres" -qc "DROP DATABASE IF EXISTS dangjian_citus_bench WITH (FORCE)" \
    -qc "CREATE DATABASE dangjian_citus_bench" 2>&1 | grep -v -e NOTICE -e DETAIL -e HINT || true
  psql "postgres://postgres@127.0.0.1:$port/dangjian_citus_bench" -qc "CREATE EXTENSION IF NOT EXISTS citus"
done
DB="${URL%/*}/dangjian_citus_bench"
psql "$DB" -qc "SELECT citus_set_coordinator_host('127.0.0.1', $CITUS_PORT)" \
  -qc "SELECT citus_add_node('127.0.0.1', $((CITUS_PORT + 1)))" \
  -qc "SELECT citus_add_node('127.0.0.1', $((CITUS_PORT + 2)))" >/dev/null
cargo run -q -p dangjian -- migrate --citus --db "$DB"
