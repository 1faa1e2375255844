#!/usr/bin/env bash
# Lint, quick enough to run before every build (scripts/test.sh calls it first):
#   1. clang-format --dry-run -Werror on every C++ file of lib/, daemon/ and tests/unit
#      (style in .clang-format; fix with clang-format -i FILE...). About a second.
#   2. clang-tidy (checks in .clang-tidy) on a quick subset: the .cpp files changed and not
#      yet committed, or, in a clean tree, those of the last commit; skipped when that is
#      more than $LINT_TIDY_MAX (6) files, since each takes 5-30 s. --all checks every file
#      (minutes). Needs build/compile_commands.json (any configure of build/ writes it).
#   scripts/lint.sh [--all]
set -euo pipefail
cd "$(dirname "$0")/.."

cpp_paths=('lib/*.h' 'lib/*.cpp' 'daemon/*.h' 'daemon/*.cpp' 'tests/unit/*.h' 'tests/unit/*.cpp')
mapfile -t files < <(git ls-files "${cpp_paths[@]}")
echo "== clang-format (${#files[@]} files)"
clang-format --dry-run -Werror "${files[@]}"

if [[ ! -f build/compile_commands.json ]]; then
  echo "== clang-tidy: skipped (no build/compile_commands.json: configure build/ first)"
  exit 0
fi
tidy_paths=('lib/*.cpp' 'daemon/*.cpp' 'tests/unit/*.cpp')
if [[ "${1:-}" == "--all" ]]; then
  mapfile -t tidy < <(git ls-files "${tidy_paths[@]}")
else
  mapfile -t tidy < <(git diff --name-only --diff-filter=d HEAD -- "${tidy_paths[@]}")
  if [[ ${#tidy[@]} -eq 0 ]] && git rev-parse -q --verify HEAD~1 >/dev/null; then
    mapfile -t tidy < <(git diff --name-only --diff-filter=d HEAD~1 HEAD -- "${tidy_paths[@]}")
  fi
  if [[ ${#tidy[@]} -gt ${LINT_TIDY_MAX:-6} ]]; then
    echo "== clang-tidy: skipped (${#tidy[@]} changed files; run scripts/lint.sh --all)"
    exit 0
  fi
fi
echo "== clang-tidy (${#tidy[@]} files)"
if [[ ${#tidy[@]} -gt 0 ]]; then
  # The compile commands are GCC's: clang does not know some of its warning options.
  clang-tidy -p build --quiet --extra-arg=-Wno-unknown-warning-option "${tidy[@]}" 2> >(grep -v ' warnings\? generated\.$' >&2)
fi
