#!/usr/bin/env bash
# Flakiness check: run the nbval suite over every notebook N times in a row (default 5) and count failures.
# Usage: scripts/repeat_nbval.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
failures=0
for run in $(seq 1 "$runs"); do
  if HF_HUB_OFFLINE=1 .venv/bin/python -m pytest notebooks -q -n 2 --dist loadfile > "/tmp/nbval-run-$run.log" 2>&1; then
    echo "run $run: passed ($(tail -n 1 "/tmp/nbval-run-$run.log"))"
  else
    failures=$((failures + 1))
    echo "run $run: FAILED, see /tmp/nbval-run-$run.log"
  fi
done
echo "$runs runs, $failures failures"
[ "$failures" -eq 0 ]
