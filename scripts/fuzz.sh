#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp, clang++, ASan + UBSan, in build-fuzz/)
# and runs each for a bounded time on a fresh copy of its seed corpus:
#   scripts/fuzz.sh [SECONDS_PER_TARGET]        (default 20)
#   FUZZ_TARGETS="config http_request" scripts/fuzz.sh 60     only these targets
#   FUZZ_SEED=0 scripts/fuzz.sh 600             a random seed per run (exploration by hand)
#   FUZZ_BUILD_DIR=build-asan scripts/fuzz.sh   reuse a build configured with LOGPULSE_FUZZ=ON
#                                               (scripts/test.sh's sanitizer build)
# The default seed is fixed (FUZZ_SEED=1) so that the suite explores the same inputs on every
# run of the same commit: a finding fails the commit that brought it, not a later one.
# Before fuzzing, each target replays its saved reproducers (tests/fuzz/regressions/<target>/).
# A crash, timeout (-timeout=5), leak or out-of-memory (-rss_limit_mb=2048) fails the run
# and its reproducer path is printed; re-run it with build-fuzz/<target>_fuzz FILE.
# tests/fuzz/known_failures.txt lists failures of bugs being fixed elsewhere: a failure whose
# log matches a listed pattern is reported as KNOWN and does not fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
seed=${FUZZ_SEED:-1}
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/install-deps.sh --test
build=${FUZZ_BUILD_DIR:-build-fuzz}
if [[ -z "${FUZZ_BUILD_DIR:-}" ]]; then
  CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOGPULSE_FUZZ=ON -DLOGPULSE_TESTS=OFF -DLOGPULSE_UNITY_BUILD=ON >/dev/null
elif ! grep -q '^LOGPULSE_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "fuzz.sh: $build is not configured with LOGPULSE_FUZZ=ON" >&2
  exit 2
fi
cmake --build "$build" --target fuzz_targets -j "$jobs"

all_targets=()
for source in tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$source" .cpp)
  all_targets+=("${name%_fuzz}")
done
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"

work=$build/fuzz-work
rm -rf "$work"
mkdir -p "$work"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# known_failures.txt: "<target> <regex>[ && <regex>...]  # why": every extended regex must
# match the failure's log.
known_failure() {  # target log -> 0 when the log shows a listed failure of that target
  local target=$1 log=$2 t pattern part
  while read -r t pattern; do
    [[ -z "$t" || "$t" == \#* || "$t" != "$target" ]] && continue
    pattern=${pattern%%  #*}
    local -a parts=()
    while [[ "$pattern" == *" && "* ]]; do
      parts+=("${pattern%% && *}")
      pattern=${pattern#* && }
    done
    parts+=("$pattern")
    for part in "${parts[@]}"; do
      grep -Eq -- "$part" "$log" || continue 2
    done
    return 0
  done <tests/fuzz/known_failures.txt
  return 1
}

failed=0
summary=()
report() {  # target what log artifact
  local target=$1 what=$2 log=$3 artifact=$4
  if known_failure "$target" "$log"; then
    summary+=("$(printf '%-18s KNOWN %s (tests/fuzz/known_failures.txt): %s' "$target" "$what" "$artifact")")
  else
    failed=1
    summary+=("$(printf '%-18s FAILED %s: %s' "$target" "$what" "$artifact")")
    echo "---- $target: $what; reproducer: $artifact; log: $log"
    grep -E -A25 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant failed|==[0-9]+== ?ERROR' "$log" | head -60 || tail -40 "$log"
  fi
}

for target in "${targets[@]}"; do
  binary=$build/${target}_fuzz
  dir=$work/$target
  mkdir -p "$dir/corpus"
  cp tests/fuzz/corpus/"$target"/* "$dir/corpus/"
  start=$(date +%s)

  for repro in tests/fuzz/regressions/"$target"/*; do
    [[ -f "$repro" ]] || continue
    log=$dir/regression-$(basename "$repro").log
    if ! "$binary" -timeout=5 -rss_limit_mb=2048 "$repro" >"$log" 2>&1; then
      report "$target" "saved reproducer fails" "$log" "$repro"
    fi
  done

  dict=()
  [[ -f tests/fuzz/$target.dict ]] && dict=(-dict="tests/fuzz/$target.dict")
  log=$dir/fuzz.log
  status=0
  "$binary" "$dir/corpus" "${dict[@]}" -max_total_time="$seconds" -seed="$seed" -timeout=5 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$dir/" >"$log" 2>&1 || status=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  if [[ $status -ne 0 ]]; then
    artifact=$(ls "$dir"/crash-* "$dir"/timeout-* "$dir"/leak-* "$dir"/oom-* "$dir"/slow-unit-* 2>/dev/null | head -1 || true)
    report "$target" "exit $status" "$log" "${artifact:-(no artifact, see $log)}"
  else
    summary+=("$(printf '%-18s ok: %s runs in %ss, corpus %s files' "$target" "$runs" "$(( $(date +%s) - start ))" \
      "$(ls "$dir/corpus" | wc -l)")")
  fi
done

echo "== fuzzing summary (${seconds}s per target)"
printf '  %s\n' "${summary[@]}"
exit "$failed"
