#!/usr/bin/env bash
# The main job: installs what is missing, builds the host server and the receiver,
# and runs the demo (examples/host_server/demo.sh): a real receiver, the REST API on
# the SQLite store, an endpoint created with curl, events published and delivered.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${WEBHOOKD_JOBS:-2}"

"$root/scripts/install-deps.sh"
echo "== building (Release)"
cmake -S "$root" -B "$root/build/demo" -DCMAKE_BUILD_TYPE=Release \
      -DWEBHOOKD_BUILD_TESTS=OFF -DWEBHOOKD_BUILD_EXAMPLES=ON -DWEBHOOKD_WITH_POSTGRES=OFF >/dev/null
cmake --build "$root/build/demo" -j"$jobs" --target webhookd_host_server webhookd_receiver >/dev/null
bin="$root/build/demo/examples"
exec bash "$root/examples/host_server/demo.sh" "$bin/host_server/webhookd_host_server" \
     "$bin/receiver/webhookd_receiver" "$@"
