# What the load benchmarks share (sourced by dashboards.sh and soak.sh): the database for
# ENGINE and MEMBERS, and a release build with wrk at hand. Everything stays under target/bench/.

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
