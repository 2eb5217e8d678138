#!/usr/bin/env bash
# The main job: installs what is missing, builds the example, and runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${WEBHOOKD_JOBS:-2}"

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build/demo" -DCMAKE_BUILD_TYPE=Release \
      -DWEBHOOKD_BUILD_TESTS=OFF -DWEBHOOKD_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$root/build/demo" -j"$jobs" --target sign_and_print >/dev/null
"$root/build/demo/examples/sign_and_print/sign_and_print" "$@"
