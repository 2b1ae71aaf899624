#!/usr/bin/env bash
# Measures what docs/BENCHMARKS.md reports. Everything it writes stays under target/bench/.
#   bash bench/run.sh                 # 1,000,000 members (the default)
#   MEMBERS=50000 bash bench/run.sh   # a smaller district
# Needs wrk (apt-get install wrk). The server and wrk share this machine's cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MEMBERS="${MEMBERS:-1000000}"
IMPORT_ROWS="${IMPORT_ROWS:-100000}"
DURATION="${DURATION:-30s}"
PORT="${PORT:-18181}"
PASSWORD="Bench2026pass"
OUT="target/bench"
DB="$OUT/bench-$MEMBERS.db"
BIN="target/release/dangjian"
source bench/common.sh
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --release -p dangjian -p dangjian-bench

echo "== seeding $MEMBERS members"
/usr/bin/time -f "BENCH seed_wall_s=%e seed_peak_rss_kb=%M" \
  "$BIN" demo --members "$MEMBERS" --db "sqlite://$DB" --reset --no-serve --password "$PASSWORD" 2>&1 \
  | grep -E "演示数据已生成|BENCH"
ls -l "$DB" | awk '{printf "BENCH db_bytes=%d\n", $5}'

echo "== serving"
"$BIN" serve --db "sqlite://$DB" --listen "127.0.0.1:$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done


for user in admin street_admin; do
  echo "== member search as $user for $DURATION"
  DJ_COOKIE="$(bench_login "$user")" wrk -t2 -c8 -d "$DURATION" --latency -s bench/search.lua "http://127.0.0.1:$PORT" | grep BENCH | sed "s/^BENCH /BENCH search_$user /"
done
for user in admin street_admin; do
  cookie="$(bench_login "$user")"
  for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w "%{time_total}\n" -H "Cookie: $cookie" "http://127.0.0.1:$PORT/"
  done | sort -n | awk -v u="$user" '{t[NR]=$1} END {printf "BENCH dashboard_%s_median_ms=%.1f\n", u, t[3]*1000}'
done
grep -E "VmHWM|VmRSS|RssAnon|RssFile" "/proc/$SERVER/status" | awk '{printf "BENCH server_%s_kb=%d\n", $1, $2}' | tr -d ":"

echo "== import of $IMPORT_ROWS rows"
target/release/gen-import --db "sqlite://$DB" --rows "$IMPORT_ROWS" --out "$OUT/import-$IMPORT_ROWS.xlsx"
ls -l "$OUT/import-$IMPORT_ROWS.xlsx" | awk '{printf "BENCH import_file_bytes=%d\n", $5}'
/usr/bin/time -f "BENCH import_wall_s=%e import_peak_rss_kb=%M" \
  "$BIN" import members "$OUT/import-$IMPORT_ROWS.xlsx" --db "sqlite://$DB" 2>&1 | grep -E "导入|BENCH|错误"
