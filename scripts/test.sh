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

echo "== clang: the public headers compile warning-free"
# GCC is what the builds above use; a host may build with clang, so the umbrella
# header, the optional stores and the conformance suite must compile there too.
printf '#include <webhookd/%s>\n' webhookd.hpp store/sqlite_store.hpp store/postgres_store.hpp \
       testing/store_conformance.hpp |
  clang++ -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -x c++ \
          -I"$root/include" -I/usr/share/include/llhttp -I"$(pg_config --includedir)" -
echo "ok"

echo "== fuzz (bounded)"
# libFuzzer targets (fuzz/), each run for WEBHOOKD_FUZZ_SECONDS on a scratch copy of
# its checked-in corpus, so new inputs never land in the repository. A crash fails the
# script; its input is kept in build/fuzz/artifacts/<target>/.
fuzz_seconds="${WEBHOOKD_FUZZ_SECONDS:-30}"
CC=clang CXX=clang++ cmake -S "$root" -B "$root/build/fuzz" \
    -DWEBHOOKD_BUILD_FUZZ=ON -DWEBHOOKD_BUILD_TESTS=OFF -DWEBHOOKD_BUILD_EXAMPLES=OFF \
    -DWEBHOOKD_INSTALL=OFF >/dev/null
cmake --build "$root/build/fuzz" -j"$jobs" --target webhookd_fuzz
fuzz_scratch="$(mktemp -d)"
trap 'rm -rf "$fuzz_scratch"' EXIT
fuzz_failed=0
for corpus in "$root"/fuzz/corpus/*/; do
  target="$(basename "$corpus")"
  binary="$root/build/fuzz/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "$target: not built (see the cmake output), skipped"
    continue
  fi
  artifacts="$root/build/fuzz/artifacts/$target"
  mkdir -p "$fuzz_scratch/$target" "$artifacts"
  cp -R "$corpus." "$fuzz_scratch/$target/"
  log="$root/build/fuzz/$target.log"
  if "$binary" -max_total_time="$fuzz_seconds" -timeout=10 -print_final_stats=1 \
       -dict="$root/fuzz/http.dict" -artifact_prefix="$artifacts/" \
       "$fuzz_scratch/$target" >"$log" 2>&1; then
    echo "$target: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs in ${fuzz_seconds} s, no crash"
  else
    tail -n 40 "$log"
    echo "$target: CRASH; reproducer in $artifacts/ (full log: $log)"
    fuzz_failed=1
  fi
done
[ "$fuzz_failed" -eq 0 ]
