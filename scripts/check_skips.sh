#!/usr/bin/env bash
# Fails when the last ctest run skipped a test case that tests/skips_allowed.txt does not allow.
# The suites print one line "LR_SKIPPED <Suite.Case>: <reason>" per skipped case (tests/gtest_main.cpp);
# ctest keeps every suite's output in <build>/Testing/Temporary/LastTest.log. Lists the allowed
# skips it saw and every unlisted one; exit 1 when there is any unlisted one.
# Usage: scripts/check_skips.sh [build dir, default build]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"
log="$build/Testing/Temporary/LastTest.log"
allow="$root/tests/skips_allowed.txt"
[ -f "$log" ] || { echo "check_skips: $log not found: run ctest --test-dir $build first" >&2; exit 2; }

patterns=() reasons=()
while IFS= read -r line; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  [[ "$line" == *" | "* ]] || { echo "check_skips: $allow: malformed line (want 'glob | reason'): $line" >&2; exit 2; }
  patterns+=("${line%% | *}")
  reasons+=("${line#* | }")
done < "$allow"

allowed=0 unlisted=0
while IFS= read -r line; do
  entry="${line#LR_SKIPPED }"
  name="${entry%%: *}"
  reason="${entry#*: }"
  ok=0
  for i in "${!patterns[@]}"; do
    # shellcheck disable=SC2053  # the pattern is a glob on purpose
    if [[ "$name" == ${patterns[$i]} && "$reason" == *"${reasons[$i]}"* ]]; then ok=1; break; fi
  done
  if ((ok)); then
    allowed=$((allowed + 1))
    echo "check_skips: allowed skip: $name ($reason)"
  else
    unlisted=$((unlisted + 1))
    echo "check_skips: UNLISTED SKIP: $name ($reason)" >&2
  fi
done < <(grep -a '^LR_SKIPPED ' "$log" | sort -u)

echo "check_skips: $allowed allowed, $unlisted unlisted skipped case(s) (allow-list: tests/skips_allowed.txt)"
((unlisted == 0))
