#!/usr/bin/env bash
# Measures the sweep (reminders, greetings, call escalation) and the pages of organisational
# life and residents' calls, as docs/BENCHMARKS.md reports them. Writes under target/bench/.
#   bash bench/orglife_calls.sh                  # the 50,000-member demo (500 calls)
#   MEMBERS=1000000 bash bench/orglife_calls.sh  # province-sized (10,000 calls)
# Single requests with curl, median of 5 after one warm-up; no load generator needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MEMBERS="${MEMBERS:-50000}"
PORT="${PORT:-18182}"
PASSWORD="Bench2026pass"
OUT="target/bench"
DB="$OUT/orglife-calls-$MEMBERS.db"
BIN="target/release/dangjian"
source bench/common.sh
mkdir -p "$OUT"
cargo build --release -p dangjian

echo "== seeding $MEMBERS members"
/usr/bin/time -f "BENCH seed_wall_s=%e seed_peak_rss_kb=%M" \
  "$BIN" demo --members "$MEMBERS" --db "sqlite://$DB" --reset --no-serve --password "$PASSWORD" 2>&1 \
  | grep -E "组织生活记录|群众呼声|BENCH"

echo "== sweep"
for run in first second; do
  /usr/bin/time -f "BENCH sweep_${run}_wall_s=%e sweep_${run}_peak_rss_kb=%M" \
    "$BIN" sweep --db "sqlite://$DB" 2>&1 | grep -E "巡检完成|BENCH"
done

echo "== serving"
"$BIN" serve --db "sqlite://$DB" --listen "127.0.0.1:$PORT" > "$OUT/orglife-calls-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done


# median of 5 timed requests after a warm-up: name, cookie (or -), path
measure() {
  local name="$1" cookie="$2" path="$3" header=()
  [ "$cookie" != "-" ] && header=(-H "Cookie: $cookie")
  curl -fsS -o /dev/null "${header[@]}" "http://127.0.0.1:$PORT$path"
  for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w "%{time_total}\n" "${header[@]}" "http://127.0.0.1:$PORT$path"
  done | sort -n | awk -v n="$name" '{t[NR]=$1} END {printf "BENCH %s_median_ms=%.1f\n", n, t[3]*1000}'
}

admin="$(bench_login admin)"
street="$(bench_login street_admin)"
community="$(bench_login community_admin)"
secretary="$(bench_login branch_secretary)"
measure orglife_rollup_admin "$admin" /orglife
measure orglife_rollup_street "$street" /orglife
measure orglife_branch_secretary "$secretary" /orglife
measure inbox_secretary "$secretary" /inbox
measure calls_list_admin "$admin" /calls
measure calls_list_all_admin "$admin" "/calls?all=1"
measure calls_list_community "$community" /calls
measure call_figures_admin "$admin" /calls/figures
measure call_figures_street "$street" /calls/figures
measure public_call_form - /public/calls/new
measure open311_requests - /open311/v2/requests.json
grep -E "VmRSS|RssAnon" "/proc/$SERVER/status" | awk '{printf "BENCH server_%s_kb=%d\n", $1, $2}' | tr -d ":"
