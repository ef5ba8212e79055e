#!/usr/bin/env bash
# Runs the whole test suite (Release build) and prints a closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")"
log=$(mktemp)
dotnet test NtkDynamics.slnx -c Release --nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{s += $2} END {print s + 0}'; }
echo "tests: $(sum Passed) passed, $(sum Failed) failed, $(sum Skipped) skipped"
rm -f "$log"
exit "$rc"
