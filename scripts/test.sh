#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole suite.
# .ci/run calls exactly this. On a 2-core machine most of the time is compiling, so the
# suite runs builds and tests side by side in "lanes" (background process groups whose
# output goes to build-logs/LANE.log and is printed when the lane ends):
#   1. the sanitizer build (build-asan/, clang++): ASan + UBSan with libFuzzer's coverage,
#      so one build serves the unit tests, the sanitized daemon and the fuzz targets
#   2. the Release build (build/) of the daemon; beside it, the ASan unit tests
#   3. ctest on the Release build (unit tests excluded: they ran under ASan, and run under
#      TSan in stage 4), integration tests against the real daemon, 4 at a time; beside it,
#      at lowest priority, the ThreadSanitizer build (build-tsan/, clang++) and the container
#      image test (tests/integration/test_container.py, ctest label "slow")
#   4. the TSan unit tests and tests/integration/test_race.py against the TSan daemon; beside
#      them, integration tests against the ASan daemon in two lanes, and fuzzing
#      (scripts/fuzz.sh, each libFuzzer target for FUZZ_SECONDS, default 10 s)
#   5. the end of the container test
# Every build is a unity build of lib/ and daemon/ (LOGPULSE_UNITY_BUILD). Each stage prints
# its wall time; the suite exits non-zero after the first stage with a failed lane. A test
# skipped because the kernel refuses what it needs (user namespaces in a chroot, say) exits
# 77; the list of skipped tests and why is printed after ctest.
set -euo pipefail
set -m  # each lane is its own process group, so that a failure can stop a whole lane
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
root=$PWD
logs=$root/build-logs
rm -rf "$logs"
mkdir -p "$logs"
suite_start=$SECONDS
stage_start=0
stage_begin() { echo "== $1"; stage_start=$SECONDS; }
stage_end() { echo "== $1: $((SECONDS - stage_start)) s wall (suite: $((SECONDS - suite_start)) s)"; }

declare -A lane_pid=()
lane_start() {  # name command... : runs in the background, output to build-logs/NAME.log
  local name=$1
  shift
  ("$@") >"$logs/$name.log" 2>&1 &
  lane_pid[$name]=$!
  echo "-- lane $name started"
}
stop_lanes() {
  local name
  for name in "${!lane_pid[@]}"; do
    kill -TERM -- "-${lane_pid[$name]}" 2>/dev/null || true
  done
}
trap stop_lanes EXIT
lane_wait() {  # name... : waits for each; prints its log; exits at the first failure
  local name status
  for name in "$@"; do
    status=0
    wait "${lane_pid[$name]}" || status=$?
    unset "lane_pid[$name]"
    echo "-- lane $name: exit $status"
    sed 's/^/   | /' "$logs/$name.log"
    if [[ $status -ne 0 && $status -ne 77 ]]; then
      echo "== lane $name failed (exit $status); log: $logs/$name.log"
      exit "$status"
    fi
  done
}

bash scripts/install-deps.sh --test

# -gline-tables-only: file and line in sanitizer reports, at a fraction of -g's compile and
# link time.
stage_begin "1. sanitizer build (clang++, ASan + UBSan + fuzzer coverage)"
CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only -DLOGPULSE_SANITIZE=ON -DLOGPULSE_FUZZ=ON \
  -DLOGPULSE_UNITY_BUILD=ON -DLOGPULSE_INTEGRATION_TESTS=OFF >/dev/null
cmake --build build-asan --target unit_tests logpulse fuzz_targets -j "$jobs"
stage_end "1. sanitizer build"

asan_unit() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ./build-asan/unit_tests
}
stage_begin "2. release build; ASan unit tests beside it"
lane_start asan-unit asan_unit
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOGPULSE_TESTS=ON -DLOGPULSE_INTEGRATION_TESTS=ON \
  -DLOGPULSE_UNITY_BUILD=ON >/dev/null
cmake --build build --target logpulse real_alertmanager_test -j "$jobs"
lane_wait asan-unit
stage_end "2. release build and ASan unit tests"

tsan_build() {
  CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DLOGPULSE_TSAN=ON -DLOGPULSE_TESTS=ON -DLOGPULSE_INTEGRATION_TESTS=OFF -DLOGPULSE_UNITY_BUILD=ON >/dev/null
  nice -n 19 cmake --build build-tsan --target unit_tests logpulse -j "$jobs"
}
# Run directly rather than by a second ctest in build/ (two ctest runs would share its
# Testing/ files); it prints its phases' times and the image size.
container_test() {
  LOGPULSE_SOURCE_DIR=$root LOGPULSE_CONTAINER_WORKDIR=$root/build/tests/container-test \
    nice -n 19 python3 tests/integration/test_container.py -v
}
skipped_tests() {
  echo "== skipped tests"
  if ! cat build/Testing/Temporary/LastTest.log "$logs"/*.log 2>/dev/null | grep '^logpulse-test-skipped: ' |
    sed 's/^logpulse-test-skipped: /  /' | sort -u | grep .; then
    echo "  none"
  fi
}

stage_begin "3. unit and integration tests (ctest); TSan build and container test beside them"
lane_start tsan-build tsan_build
lane_start container container_test
status=0
(cd build && ctest --output-on-failure --timeout 300 -j 4 -E '^unit$' -LE slow) || status=$?
[[ $status -eq 0 ]] || { skipped_tests; exit "$status"; }
lane_wait tsan-build
stage_end "3. ctest and TSan build"

# Integration tests against a sanitizer daemon: slower, so the waits are longer.
sanitized_integration() {  # binary test...
  local binary=$1
  shift
  for test in "$@"; do
    echo "-- $test against $binary"
    LOGPULSE_BIN="$root/$binary" LOGPULSE_SOURCE_DIR="$root" LOGPULSE_TEST_WAIT=60 \
      timeout 600 python3 "tests/integration/$test"
  done
}
tsan_tests() {
  export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
  ./build-tsan/unit_tests
  sanitized_integration build-tsan/logpulse test_race.py
}
asan_integration() {
  export ASAN_OPTIONS=detect_leaks=1:exitcode=66
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66
  sanitized_integration build-asan/logpulse "$@"
}
fuzzing() { FUZZ_BUILD_DIR=build-asan nice -n 10 bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"; }

stage_begin "4. TSan unit tests and race run; ASan integration tests and fuzzing beside them"
lane_start tsan tsan_tests
lane_start asan-a asan_integration test_race.py test_http.py test_follow_rotation.py test_reload.py
lane_start asan-b asan_integration test_follow_checkpoint.py test_rules_json_multiline.py \
  test_windows_alerts.py test_alertmanager_delivery.py
lane_start fuzz fuzzing
lane_wait tsan asan-a asan-b fuzz
stage_end "4. sanitizer lanes"

stage_begin "5. container image (debootstrap, podman build, run)"
lane_wait container
stage_end "5. container image"
skipped_tests
echo "== suite passed in $((SECONDS - suite_start)) s"
