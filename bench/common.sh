# What the load benchmarks share (sourced by run.sh, dashboards.sh, orglife_calls.sh, soak.sh and
# districts.sh): the database for ENGINE and MEMBERS, a release build with wrk at hand, and a
# login. Everything stays under target/bench/.

OUT="target/bench"
BIN="target/release/dangjian"
mkdir -p "$OUT"

# Sets DB for a run named $1: a file under target/bench/, or a PostgreSQL database
# `$1_<members>` on the server in BENCH_PG, made afresh unless SEEDED=1 reuses an earlier run's.
bench_database() {
  case "$ENGINE" in
    sqlite) DB="sqlite://$OUT/$1-$MEMBERS.db" ;;
    postgres)
      BENCH_PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
      if [ "${SEEDED:-}" != 1 ]; then
        psql "$BENCH_PG/postgres" -qc "DROP DATABASE IF EXISTS $1_$MEMBERS" -qc "CREATE DATABASE $1_$MEMBERS"
      fi
      DB="$BENCH_PG/$1_$MEMBERS" ;;
    *) echo "ENGINE is sqlite or postgres" >&2; exit 1 ;;
  esac
}

bench_build() {
  command -v wrk >/dev/null || { echo "the benchmark needs wrk: apt-get install wrk" >&2; exit 1; }
  cargo build --release -p dangjian
}

# Logs USER in on the server at PORT with PASSWORD and prints the session cookie.
bench_login() {
  local jar="$OUT/cookies-$PORT-$1.txt" csrf
  rm -f "$jar"
  csrf=$(curl -fsS -c "$jar" "http://127.0.0.1:$PORT/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"//')
  curl -fsS -b "$jar" -c "$jar" -o /dev/null --data-urlencode "username=$1" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "csrf=$csrf" "http://127.0.0.1:$PORT/login"
  echo "dj_session=$(awk '$6 == "dj_session" {print $7}' "$jar")"
}
