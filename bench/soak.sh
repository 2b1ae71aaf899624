#!/usr/bin/env bash
# A soak: a working day's mix (members on phones, officers, residents' public forms, an officer
# registering members, an outside system on the API) against one release server for DURATION
# (10 minutes by default), with the server's memory sampled every 30 seconds. It passes when no
# request fails and anonymous memory stays flat; docs/BENCHMARKS.md keeps its figures (issue 9).
#   bash bench/soak.sh                      # 50,000 members on SQLite, 10 minutes
#   DURATION=2m bash bench/soak.sh          # a shorter look
#   ENGINE=postgres BENCH_PG=postgres://postgres@127.0.0.1:5432 bash bench/soak.sh
# Everything it writes stays under target/bench/. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MEMBERS="${MEMBERS:-50000}"
ENGINE="${ENGINE:-sqlite}"
DURATION="${DURATION:-10m}"
CONNECTIONS="${CONNECTIONS:-16}"
PORT="${PORT:-18184}"
PASSWORD="Bench2026pass"
source bench/common.sh
bench_database soak
bench_build

echo "== seeding $MEMBERS members on $ENGINE"
"$BIN" demo --members "$MEMBERS" --db "$DB" --reset --no-serve --password "$PASSWORD" 2>&1 | grep -E "演示数据已生成"

"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --trust-proxy > "$OUT/soak-server.log" 2>&1 &
SERVER=$!
SAMPLER=""
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  kill "$SERVER" 2>/dev/null || true
  if [ "$ENGINE" = postgres ]; then
    wait "$SERVER" 2>/dev/null || true
    psql "$BENCH_PG/postgres" -qc "DROP DATABASE IF EXISTS soak_$MEMBERS" || true
  fi
}
trap cleanup EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
URL="http://127.0.0.1:$PORT"

# Logs in from the officers' office address; prints "cookie csrf".
login() {
  local jar="$OUT/cookies-soak-$1.txt" csrf
  rm -f "$jar"
  csrf=$(curl -fsS -c "$jar" -H "X-Forwarded-For: 10.250.0.1" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"//')
  curl -fsS -b "$jar" -c "$jar" -o /dev/null -H "X-Forwarded-For: 10.250.0.1" --data-urlencode "username=$1" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$csrf" "$URL/login"
  local cookie="dj_session=$(awk '$6 == "dj_session" {print $7}' "$jar")"
  local page_csrf
  page_csrf=$(curl -fsS -H "Cookie: $cookie" "$URL/tokens" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
  echo "$cookie $page_csrf"
}

read -r SOAK_MEMBER _ <<< "$(login member)"
read -r SOAK_OFFICER SOAK_OFFICER_CSRF <<< "$(login branch_secretary)"
read -r SOAK_STREET _ <<< "$(login street_admin)"
read -r SOAK_COMMUNITY _ <<< "$(login community_admin)"
export SOAK_MEMBER SOAK_OFFICER SOAK_OFFICER_CSRF SOAK_STREET SOAK_COMMUNITY
SOAK_TOKEN=$(curl -fsS -H "Cookie: $SOAK_OFFICER" -H "X-Forwarded-For: 10.250.0.1" "$URL/tokens" \
  --data-urlencode "csrf=$SOAK_OFFICER_CSRF" --data-urlencode "name=压测接口" --data-urlencode "days=30" \
  | grep -o '<code id="new-token">[^<]*' | sed 's/.*>//')
export SOAK_TOKEN
ME=$(curl -fsS -H "Cookie: $SOAK_OFFICER" -H "X-CSRF-Token: x" "$URL/api/v1/me")
export SOAK_BRANCH=$(echo "$ME" | sed 's/.*"org_id":\([0-9]*\).*/\1/')
export SOAK_MEMBER_ID=$(curl -fsS -H "Cookie: $SOAK_MEMBER" "$URL/api/v1/me" 2>/dev/null | sed 's/.*"member_id":\([0-9]*\).*/\1/' || true)
export SOAK_TERRITORY=$(curl -fsS "$URL/public/calls/new" | tr '\n' ' ' | grep -o '<select name="territory_id".*' \
  | grep -o 'value="[0-9]\+"' | head -1 | grep -o '[0-9]\+')
# One resident's call made before the soak: the residents in the mix look up its code.
BOUNDARY=soaksetup
printf -- '--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' \
  $BOUNDARY item_code C05-01 $BOUNDARY territory_id "$SOAK_TERRITORY" \
  $BOUNDARY description "楼道灯坏了一周，晚上看不清台阶" $BOUNDARY phone 13900001111 > "$OUT/soak-call.txt"
printf -- '--%s--\r\n' $BOUNDARY >> "$OUT/soak-call.txt"
export SOAK_CODE=$(curl -sS -o /dev/null -w '%{redirect_url}' -H "X-Forwarded-For: 10.250.0.2" \
  -H "Content-Type: multipart/form-data; boundary=$BOUNDARY" --data-binary "@$OUT/soak-call.txt" "$URL/public/calls" \
  | sed 's/.*code=\([^&]*\).*/\1/')
[ -n "$SOAK_CODE" ] && [ -n "$SOAK_TOKEN" ] && [ -n "$SOAK_BRANCH" ] && [ -n "$SOAK_TERRITORY" ] || {
  echo "soak set-up failed: code='$SOAK_CODE' token='${SOAK_TOKEN:0:6}…' branch='$SOAK_BRANCH' territory='$SOAK_TERRITORY'" >&2; exit 1; }

echo "== soaking for $DURATION with $CONNECTIONS connections"
SAMPLES="$OUT/soak-memory.txt"
: > "$SAMPLES"
( while kill -0 "$SERVER" 2>/dev/null; do
    awk -v t="$(date +%s)" '/RssAnon/ {print t, $2}' "/proc/$SERVER/status" >> "$SAMPLES"; sleep 30
  done ) &
SAMPLER=$!
wrk -t2 -c"$CONNECTIONS" -d "$DURATION" --latency --timeout 10s -s bench/soak.lua "$URL" | grep -E "^statuses|^BENCH" \
  | sed "s/^BENCH /BENCH ${ENGINE}_soak /"
awk '/RssAnon/ {print systime(), $2}' "/proc/$SERVER/status" >> "$SAMPLES"

# Memory: the first sample after the first minute against the last. "Flat" means the last is
# within a quarter of it (caches fill in the first minute, then stay).
awk 'NR == 1 {start = $1} $1 - start >= 60 && !warm {warm = $2} {last = $2; if ($2 > peak) peak = $2}
     END {printf "BENCH %s_soak_memory rss_anon_after_1min_kb=%d rss_anon_end_kb=%d rss_anon_peak_kb=%d growth_pct=%.1f\n",
          "'"$ENGINE"'", warm, last, peak, (last - warm) * 100 / warm}' "$SAMPLES"
grep -c " ERROR \| panicked" "$OUT/soak-server.log" | sed 's/^/BENCH server_log_errors=/' || true
