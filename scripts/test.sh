#!/usr/bin/env bash
# Installs what is missing, builds every test, and runs them twice: a normal build
# (warnings as errors, benchmarks and examples compiled too) and a build under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -R core    # extra arguments go to ctest
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${WEBHOOKD_JOBS:-2}"

"$root/scripts/install-deps.sh" --tests --bench

configure() { # <build dir> <extra cmake args...>
  local dir="$1"; shift
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DWEBHOOKD_BUILD_TESTS=ON -DWEBHOOKD_WERROR=ON "$@" >/dev/null
}

echo "== build (RelWithDebInfo, -Werror)"
configure "$root/build/test" -DWEBHOOKD_BUILD_EXAMPLES=ON -DWEBHOOKD_BUILD_BENCH=ON
cmake --build "$root/build/test" -j"$jobs"
echo "== tests"
(cd "$root/build/test" && ctest -j"$jobs" --output-on-failure "$@")

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
configure "$root/build/sanitize" -DWEBHOOKD_SANITIZE=ON \
          -DWEBHOOKD_BUILD_EXAMPLES=OFF -DWEBHOOKD_BUILD_BENCH=OFF -DWEBHOOKD_INSTALL=OFF
cmake --build "$root/build/sanitize" -j"$jobs"
echo "== tests under sanitizers"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd "$root/build/sanitize" && ctest -j"$jobs" --output-on-failure "$@")
