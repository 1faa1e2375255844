#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole suite:
#   1. the sanitizer build (build-asan/, clang++): AddressSanitizer + UndefinedBehaviorSanitizer
#      with libFuzzer's coverage instrumentation, so the same build serves the unit tests,
#      the sanitized daemon (stage 4) and the fuzz targets (stage 5); its unit tests run
#   2. the Release build (build/) with unit and integration tests (real daemon, real files)
#   3. ThreadSanitizer (build-tsan/): tests/integration/test_race.py (scrapes racing
#      ingestion, checkpoints, a reload, window and alert evaluation) against the TSan daemon
#   4. the AddressSanitizer + UBSan daemon (build-asan/): test_race.py and a few integration
#      tests, windows and alerts among them
#   5. fuzzing: scripts/fuzz.sh (each libFuzzer target for FUZZ_SECONDS, default 20 s)
#   6. the container image: tests/integration/test_container.py (ctest label "slow", left
#      out of stage 2) debootstraps a Debian 12 base, builds the Dockerfile with podman
#      (no registry), runs the image with podman, prints the phases' times and its size
# Every build is a unity build of lib/ and daemon/ (LOGPULSE_UNITY_BUILD): the four builds are
# most of the suite's time on a 2-core machine. Each stage prints its wall time. Exits
# non-zero on the first failure. Stage 2 ends with the list of skipped tests and why (a test
# is skipped only where the kernel refuses what it needs, e.g. user namespaces in a chroot).
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
root=$PWD
stage_start=0
stage_begin() { echo "== $1"; stage_start=$SECONDS; }
stage_end() { echo "== $1: $((SECONDS - stage_start)) s wall"; }

bash scripts/install-deps.sh --test

stage_begin "sanitizer build (clang++, ASan + UBSan + fuzzer coverage) and unit tests"
CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DLOGPULSE_SANITIZE=ON -DLOGPULSE_FUZZ=ON -DLOGPULSE_UNITY_BUILD=ON -DLOGPULSE_INTEGRATION_TESTS=OFF >/dev/null
cmake --build build-asan --target unit_tests logpulse -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ./build-asan/unit_tests
stage_end "sanitizer build and unit tests"

stage_begin "release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOGPULSE_TESTS=ON -DLOGPULSE_INTEGRATION_TESTS=ON \
  -DLOGPULSE_UNITY_BUILD=ON >/dev/null
cmake --build build -j "$jobs"
stage_end "release build"

stage_begin "unit and integration tests"
status=0
(cd build && ctest --output-on-failure --timeout 300 -j "$jobs" -LE slow) || status=$?

# ctest lists skipped test files ("Not Run (Skipped)"); the reasons are in their output,
# which ctest keeps in LastTest.log: a test prints one line per skipped test case.
skipped_tests() {
  echo "== skipped tests"
  if ! grep -h '^logpulse-test-skipped: ' build/Testing/Temporary/LastTest.log 2>/dev/null |
    sed 's/^logpulse-test-skipped: /  /' | sort -u | grep .; then
    echo "  none"
  fi
}
skipped_tests
[[ $status -eq 0 ]] || exit "$status"
stage_end "unit and integration tests"

# Integration tests run against a sanitizer daemon: slower, so the waits are longer.
sanitized_integration() {  # binary test...
  local binary=$1
  shift
  for test in "$@"; do
    echo "-- $test against $binary"
    LOGPULSE_BIN="$root/$binary" LOGPULSE_SOURCE_DIR="$root" LOGPULSE_TEST_WAIT=60 \
      timeout 600 python3 "tests/integration/$test"
  done
}

stage_begin "ThreadSanitizer build and race run"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGPULSE_TSAN=ON -DLOGPULSE_TESTS=OFF \
  -DLOGPULSE_UNITY_BUILD=ON >/dev/null
cmake --build build-tsan --target logpulse -j "$jobs"
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
sanitized_integration build-tsan/logpulse test_race.py
stage_end "ThreadSanitizer"

stage_begin "AddressSanitizer + UBSan daemon: race run and integration tests"
ASAN_OPTIONS=detect_leaks=1:exitcode=66 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66 \
  sanitized_integration build-asan/logpulse test_race.py test_http.py test_follow_rotation.py \
  test_follow_checkpoint.py test_reload.py test_rules_json_multiline.py test_windows_alerts.py \
  test_alertmanager_delivery.py
stage_end "AddressSanitizer + UBSan"

stage_begin "fuzzing"
FUZZ_BUILD_DIR=build-asan bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
stage_end "fuzzing"

# Last: the slowest stage, and the one that needs the Debian mirror most (a base image and
# the build stage's packages). -V shows its phases' times and the image size.
stage_begin "container image (debootstrap, podman build, run)"
status=0
(cd build && ctest -V -L slow) || status=$?
skipped_tests
[[ $status -eq 0 ]] || exit "$status"
stage_end "container image"
