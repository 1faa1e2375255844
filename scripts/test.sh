#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole suite:
#   1. unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   2. the Release build (build/) with unit and integration tests (real daemon, real files)
# Exits non-zero on the first failure. Ends with the list of skipped tests and why (a test
# is skipped only where the kernel refuses what it needs, e.g. user namespaces in a
# chroot). The Release build treats warnings as errors (LOGPULSE_WERROR). .ci/run calls
# exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/install-deps.sh --test

echo "== lint"
bash scripts/lint.sh

echo "== sanitizer build (unit tests)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOGPULSE_SANITIZE=ON \
  -DLOGPULSE_INTEGRATION_TESTS=OFF >/dev/null
cmake --build build-asan --target unit_tests -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ./build-asan/unit_tests

echo "== release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOGPULSE_TESTS=ON -DLOGPULSE_INTEGRATION_TESTS=ON \
  -DLOGPULSE_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

echo "== unit and integration tests"
cd build
status=0
ctest --output-on-failure --timeout 300 -j "$jobs" || status=$?

# ctest lists skipped test files ("Not Run (Skipped)"); the reasons are in their output,
# which ctest keeps in LastTest.log: a test prints one line per skipped test case.
echo "== skipped tests"
if ! grep -h '^logpulse-test-skipped: ' Testing/Temporary/LastTest.log 2>/dev/null |
  sed 's/^logpulse-test-skipped: /  /' | sort -u | grep .; then
  echo "  none"
fi
exit "$status"
