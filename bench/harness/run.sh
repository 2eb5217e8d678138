#!/usr/bin/env bash
# The benchmark harness in one command: installs what is missing, builds the harness
# and the peers (Release), starts a throwaway PostgreSQL cluster when the server is
# installed, runs every scenario against the harness's own loopback receiver, and
# draws the plots.
#
# Usage: bench/harness/run.sh [harness options...]
#   e.g. bench/harness/run.sh --quick            (a scaled-down run, about a minute)
#        bench/harness/run.sh --scenarios https-c16,fanout-100
# Environment: BUILD (default build-bench), OUT (default $BUILD/harness: results.json
# and the SVG plots).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD:-$root/build-bench}"
out="${OUT:-$build/harness}"

"$root/scripts/install-deps.sh" --bench
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWEBHOOKD_BUILD_BENCH=ON \
      -DWEBHOOKD_BUILD_TESTS=OFF -DWEBHOOKD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target webhookd_harness webhookd_sender_bench webhookd_curl_sender >/dev/null
mkdir -p "$out"

pg_dir="$(mktemp -d /tmp/webhookd-harness-pg.XXXXXX)"
cleanup() { "$root/tests/store_postgres/pg_cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap cleanup EXIT
pg_args=()
# Durable like a production server (fsync on), so the store comparison is fair.
WEBHOOKD_PG_DURABLE=1 "$root/tests/store_postgres/pg_cluster.sh" start "$pg_dir" >/dev/null || true
if [ -s "$pg_dir/conninfo" ]; then
  pg_args=(--postgres "$(cat "$pg_dir/conninfo")")
else
  echo "run.sh: no PostgreSQL server (scripts/install-deps.sh --tests installs it): its scenario is skipped" >&2
fi

# A scenario that did not complete makes the harness exit 1; the plots are drawn anyway.
status=0
"$build/bench/harness/webhookd_harness" --json "$out/results.json" ${pg_args[@]+"${pg_args[@]}"} "$@" || status=$?
python3 "$root/bench/harness/plot.py" "$out/results.json" "$out"
exit "$status"
