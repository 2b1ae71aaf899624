#!/usr/bin/env bash
# Moving an office up a level, measured (issue 16): a demo district on the embedded SQLite file,
# copied with `dangjian copy` into an empty PostgreSQL database, killed once in the middle and
# resumed, then checked. Prints the copy's throughput, the time of its checks, and the rows and
# bytes per member on each engine that docs/SCALE.md sizes from. Everything it writes stays
# under target/bench/ and in the database `copy_<members>` on the server in BENCH_PG.
#   bash bench/copy.sh                         # 50,000 members
#   MEMBERS=200000 bash bench/copy.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MEMBERS="${MEMBERS:-50000}"
PASSWORD="Bench2026pass"
BENCH_PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
OUT="target/bench"
BIN="target/release/dangjian"
mkdir -p "$OUT"
cargo build --release -p dangjian

SOURCE_FILE="$OUT/copy-$MEMBERS.db"
SOURCE="sqlite://$SOURCE_FILE"
TARGET_NAME="copy_$MEMBERS"
TARGET="$BENCH_PG/$TARGET_NAME"

if [ "${SEEDED:-}" != 1 ] || [ ! -f "$SOURCE_FILE" ]; then
  echo "== seeding $MEMBERS members on SQLite"
  "$BIN" demo --members "$MEMBERS" --db "$SOURCE" --reset --no-serve --password "$PASSWORD" >/dev/null 2>&1
fi
psql "$BENCH_PG/postgres" -qc "DROP DATABASE IF EXISTS $TARGET_NAME" -qc "CREATE DATABASE $TARGET_NAME"

echo "== copy, killed after 10 s and resumed"
"$BIN" copy --from "$SOURCE" --to "$TARGET" >"$OUT/copy-first.log" 2>&1 &
COPY_PID=$!
sleep 10
kill -9 "$COPY_PID" 2>/dev/null || true
wait "$COPY_PID" 2>/dev/null || true
copied_before_kill=$(psql "$TARGET" -Atc "SELECT SUM(rows_copied) FROM dangjian_copy_tables" 2>/dev/null || echo 0)
echo "BENCH rows_copied_before_kill=$copied_before_kill"
started=$(date +%s.%N)
"$BIN" copy --from "$SOURCE" --to "$TARGET" --resume 2>&1 | grep -v '^\[' | tee "$OUT/copy-resume.log"
ended=$(date +%s.%N)

rows=$(grep -oE '共 [0-9]+ 行' "$OUT/copy-resume.log" | grep -oE '[0-9]+')
copy_s=$(grep -oE '用时 [0-9]+ 秒' "$OUT/copy-resume.log" | grep -oE '[0-9]+')
echo "BENCH rows=$rows resumed_copy_s=$copy_s resumed_copy_and_checks_s=$(echo "$ended - $started" | bc)"

echo "== the same copy in one go, for its throughput"
psql "$BENCH_PG/postgres" -qc "DROP DATABASE IF EXISTS $TARGET_NAME" -qc "CREATE DATABASE $TARGET_NAME"
/usr/bin/time -f "BENCH whole_copy_and_checks_wall_s=%e peak_rss_kb=%M" \
  "$BIN" copy --from "$SOURCE" --to "$TARGET" 2>&1 | grep -E "BENCH|已核对|核对无误"

echo "== rows and bytes per member"
sqlite_bytes=$(stat -c %s "$SOURCE_FILE")
pg_bytes=$(psql "$TARGET" -Atc "SELECT pg_database_size(current_database())")
echo "BENCH members=$MEMBERS rows_per_member=$(echo "scale=1; $rows / $MEMBERS" | bc) \
sqlite_bytes_per_member=$((sqlite_bytes / MEMBERS)) postgres_bytes_per_member=$((pg_bytes / MEMBERS))"
psql "$TARGET" -qc ANALYZE
echo "== the largest tables on PostgreSQL (rows, bytes with indexes)"
psql "$TARGET" -Atc "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables \
  ORDER BY pg_total_relation_size(relid) DESC LIMIT 12" | sed 's/^/BENCH table /'
