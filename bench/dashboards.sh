#!/usr/bin/env bash
# The pages that read the roll-ups, under load with wrk, on SQLite or PostgreSQL, as
# docs/BENCHMARKS.md reports them (issue 11). Everything it writes stays under target/bench/
# (a PostgreSQL run uses the database `dashboards_<members>` on the server in BENCH_PG).
#   bash bench/dashboards.sh                                   # 50,000 members, SQLite
#   MEMBERS=1000000 bash bench/dashboards.sh                   # a province-sized district
#   ENGINE=postgres BENCH_PG=postgres://postgres@127.0.0.1:5432 bash bench/dashboards.sh
# Needs wrk (apt-get install wrk); the server and wrk share this machine's cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MEMBERS="${MEMBERS:-50000}"
ENGINE="${ENGINE:-sqlite}"
DURATION="${DURATION:-15s}"
PORT="${PORT:-18183}"
PASSWORD="Bench2026pass"
source bench/common.sh
bench_database dashboards
bench_build

if [ "${SEEDED:-}" = 1 ]; then
  echo "== reusing the $MEMBERS-member database of an earlier run (SEEDED=1)"
else
  echo "== seeding $MEMBERS members on $ENGINE"
  /usr/bin/time -f "BENCH seed_wall_s=%e seed_peak_rss_kb=%M" \
    "$BIN" demo --members "$MEMBERS" --db "$DB" --reset --no-serve --password "$PASSWORD" 2>&1 \
    | grep -E "演示数据已生成|BENCH"
  /usr/bin/time -f "BENCH rollups_rebuild_wall_s=%e" "$BIN" rollups rebuild --db "$DB" 2>&1 | grep -E "BENCH"
fi

echo "== serving"
"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" > "$OUT/dashboards-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
# The server sweeps once at start (reminders, greetings, the day's ledger lights); every commit it
# makes moves the generation, so pages kept meanwhile are drawn again. Measure after it.
for _ in $(seq 1 1200); do grep -q "巡检完成\|巡检失败" "$OUT/dashboards-server.log" && break; sleep 0.5; done


# name, cookie (or -), path: a warm-up, then wrk for $DURATION. The warm-up is the first load of
# the page for that session, drawn from the database (the kept pages of app::freshness serve the
# rest until something is committed); its time is printed as first_draw_ms.
load() {
  local name="$1" cookie="$2" path="$3" first
  [ "$cookie" = "-" ] && cookie=""
  first=$(curl -fsS -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "http://127.0.0.1:$PORT$path")
  echo "BENCH ${ENGINE}_${name} first_draw_ms=$(awk -v s="$first" 'BEGIN {printf "%.1f", s * 1000}')"
  DJ_COOKIE="$cookie" wrk -t2 -c8 -d "$DURATION" --latency -s bench/page.lua "http://127.0.0.1:$PORT$path" \
    | grep BENCH | sed "s/^BENCH /BENCH ${ENGINE}_${name} /"
}

admin="$(bench_login admin)"
street="$(bench_login street_admin)"
load healthz - /healthz
load dashboard_admin "$admin" /
load dashboard_street "$street" /
load orglife_rollup_admin "$admin" /orglife
load stats_api_admin "$admin" /api/v1/stats/overview
load dues_year_admin "$admin" /dues/year
load admission_admin "$admin" "/admission?stage=open"
load admission_plan_street "$street" /admission/plan
load transfers_admin "$admin" "/transfers?state=all"
load lost_contact_campaign_admin "$admin" /lost-contact/1
DJ_COOKIE="$admin" wrk -t2 -c8 -d "$DURATION" --latency -s bench/search.lua "http://127.0.0.1:$PORT" \
  | grep BENCH | sed "s/^BENCH /BENCH ${ENGINE}_search_admin /"
grep -E "VmRSS|RssAnon" "/proc/$SERVER/status" | awk '{printf "BENCH server_%s_kb=%d\n", $1, $2}' | tr -d ":"
