#!/usr/bin/env bash
# Runs the README's test command (`npm test`) on one backend for CI, and says at the
# end of the log what failed: vitest prints a crashed worker as "Worker exited
# unexpectedly" without naming its file, and a CI log is often read from its tail.
#
# A worker that dies mid-file (a signal, not an assertion) leaves its running test
# "pending". When at most two files failed or crashed, those files run once more on
# their own and the log names them as flaky; they must pass then, or the step fails.
# More failures than that fail the step at once.
#   usage: scripts/ci-test.sh native|wasm [vitest filters...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
backend=${1:?usage: scripts/ci-test.sh native|wasm [vitest filters...]}
shift
report="${TMPDIR:-/tmp}/streamtune-vitest-$backend.json"
log="${TMPDIR:-/tmp}/streamtune-vitest-$backend.log"
rm -f "$report"

STREAMTUNE_BACKEND=$backend npm test -- "$@" --reporter=default --reporter=json --outputFile.json="$report" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
((rc == 0)) && exit 0

printf '\n=== %s tests failed (exit %s): summary\n' "$backend" "$rc"
# Kernel lines that explain a dead process (OOM killer, segfault), if any were logged.
dmesg 2>/dev/null | grep -iE 'out of memory|oom-kill|killed process|segfault' | tail -n 5 || true
crashed=$(node scripts/ci-test-summary.mjs "$report" "$log") || exit "$rc"
[[ -n $crashed ]] || exit "$rc"
printf '\n=== running the failed file(s) once more, alone: %s\n' "$crashed"
# shellcheck disable=SC2086 # file paths from the report, no spaces
if STREAMTUNE_BACKEND=$backend npm test -- $crashed; then
  printf '\n=== FLAKY (%s): failed in the full run, passed when run again alone: %s\n' "$backend" "$crashed"
  exit 0
fi
printf '\n=== failed again when run alone: %s\n' "$crashed"
exit 1
