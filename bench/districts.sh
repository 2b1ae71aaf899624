#!/usr/bin/env bash
# Several districts under a province, on one PostgreSQL and on Citus with one and with two
# workers, from the same generated data (issue 16). Everything it writes stays under
# target/bench/ and in the databases districts_pg (on BENCH_PG) and districts_c1 / districts_c2
# (on a cluster it starts at CITUS_PORT and stops at the end).
#   bash bench/districts.sh                                  # 4 districts, 100,000 members
#   DISTRICTS=4 MEMBERS=2000000 bash bench/districts.sh      # the issue's 4 × 500,000
# For each target: the copy from the generated file, the distribution (Citus), the first draw of
# a district's and the province's dashboard, the audit log and the inbox (each after a login, so
# that no kept page answers), a member search, and an import of IMPORT_ROWS members into the
# first district. The server, the nodes and the workers all share this machine's cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DISTRICTS="${DISTRICTS:-4}"
MEMBERS="${MEMBERS:-100000}"
IMPORT_ROWS="${IMPORT_ROWS:-10000}"
BENCH_PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
CITUS_DIR="${CITUS_DIR:-../shared/vendor/citus}"
CITUS_PORT="${CITUS_PORT:-9790}"
PORT="${PORT:-18187}"
PASSWORD="Bench2026pass"
source bench/common.sh
SOURCE="$OUT/districts-$DISTRICTS-$MEMBERS.db"
IMPORT="$OUT/districts-import-$IMPORT_ROWS.xlsx"

cargo build --release -p dangjian -p dangjian-bench

if [ "${SEEDED:-}" = 1 ] && [ -f "$SOURCE" ]; then
  echo "== reusing $SOURCE (SEEDED=1)"
else
  echo "== generating $DISTRICTS districts, $MEMBERS members in all, on SQLite"
  rm -f "$SOURCE"
  /usr/bin/time -f "BENCH seed_wall_s=%e seed_peak_rss_kb=%M" \
    "$BIN" demo --members "$MEMBERS" --districts "$DISTRICTS" --db "sqlite://$SOURCE" --reset \
    --no-serve --password "$PASSWORD" 2>&1 | grep -E "演示数据已生成|BENCH"
fi
target/release/gen-import --db "sqlite://$SOURCE" --rows "$IMPORT_ROWS" --out "$IMPORT"

if [ ! -f /usr/lib/postgresql/15/lib/citus.so ]; then
  bash "$CITUS_DIR/build.sh"
fi
bash "$CITUS_DIR/cluster.sh" start 2 "$CITUS_PORT" >/dev/null
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  bash "$CITUS_DIR/cluster.sh" stop "$CITUS_PORT"
}
trap cleanup EXIT

# A database of its own on the coordinator and on every worker (Citus does not create one on
# the workers), with the coordinator and the first $1 workers in its metadata.
citus_database() {
  local name="$1" workers="$2" port
  for port in $CITUS_PORT $((CITUS_PORT + 1)) $((CITUS_PORT + 2)); do
    psql "postgres://postgres@127.0.0.1:$port/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" \
      -qc "CREATE DATABASE $name" 2>&1 | grep -v -e NOTICE -e DETAIL -e HINT || true
    psql "postgres://postgres@127.0.0.1:$port/$name" -qc "CREATE EXTENSION IF NOT EXISTS citus"
  done
  psql "postgres://postgres@127.0.0.1:$CITUS_PORT/$name" -qc "SELECT citus_set_coordinator_host('127.0.0.1', $CITUS_PORT)" >/dev/null
  for i in $(seq 1 "$workers"); do
    psql "postgres://postgres@127.0.0.1:$CITUS_PORT/$name" -qc "SELECT citus_add_node('127.0.0.1', $((CITUS_PORT + i)))" >/dev/null
  done
}


# The median of five first draws of a page: each after a fresh login, whose commit moves the
# freshness generation, so the page is drawn from the database, not kept.
first_draw() {
  local target="$1" name="$2" user="$3" path="$4" cookie
  for _ in 1 2 3 4 5; do
    cookie="$(bench_login "$user")"
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Cookie: $cookie" "http://127.0.0.1:$PORT$path"
  done | sort -n | awk -v t="$target" -v n="$name" '{v[NR]=$1} END {printf "BENCH %s_%s_median_ms=%.1f\n", t, n, v[3]*1000}'
}

# Twenty searches as the search box sends them (pinyin, initials, Chinese), each a different
# query, so none is kept.
search() {
  local target="$1" cookie q
  cookie="$(bench_login admin)"
  for q in zhang wang li liu chen yang zhao huang zhou wu zs wl lj cm yh 张 王伟 李 刘洋 陈; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Cookie: $cookie" -H "HX-Request: true" \
      -G --data-urlencode "q=$q" "http://127.0.0.1:$PORT/members"
  done | sort -n | awk -v t="$target" '{v[NR]=$1} END {printf "BENCH %s_search_median_ms=%.1f p90_ms=%.1f\n", t, v[10]*1000, v[18]*1000}'
}

measure() {
  local target="$1" db="$2"
  "$BIN" serve --db "$db" --listen "127.0.0.1:$PORT" > "$OUT/districts-$target-server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  for _ in $(seq 1 1200); do grep -q "巡检完成\|巡检失败" "$OUT/districts-$target-server.log" && break; sleep 0.5; done
  first_draw "$target" dashboard_district admin /
  first_draw "$target" dashboard_province province_admin /
  first_draw "$target" audit_district admin /audit
  first_draw "$target" audit_province province_admin /audit
  first_draw "$target" inbox_district admin /inbox
  search "$target"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
  /usr/bin/time -f "BENCH ${target}_import_wall_s=%e" \
    "$BIN" import members "$IMPORT" --db "$db" 2>&1 | grep -E "BENCH|错误" || true
}

echo "== one PostgreSQL"
psql "$BENCH_PG/postgres" -qc "DROP DATABASE IF EXISTS districts_pg WITH (FORCE)" -qc "CREATE DATABASE districts_pg"
PG="$BENCH_PG/districts_pg"
/usr/bin/time -f "BENCH pg_copy_wall_s=%e" "$BIN" copy --from "sqlite://$SOURCE" --to "$PG" 2>&1 | grep -E "BENCH|差异" || true
measure pg "$PG"

for workers in 1 2; do
  echo "== Citus, $workers worker(s)"
  name="districts_c$workers"
  citus_database "$name" "$workers"
  CITUS="postgres://postgres@127.0.0.1:$CITUS_PORT/$name"
  /usr/bin/time -f "BENCH c${workers}_copy_wall_s=%e" "$BIN" copy --from "sqlite://$SOURCE" --to "$CITUS" 2>&1 | grep -E "BENCH|差异" || true
  /usr/bin/time -f "BENCH c${workers}_distribute_wall_s=%e" "$BIN" migrate --citus --db "$CITUS" 2>&1 | grep -E "BENCH|Citus" || true
  measure "c$workers" "$CITUS"
done
