#!/usr/bin/env bash
# Runs the test suite (the README's `dotnet test NtkDynamics.slnx -c Release`) once per OpenBLAS core (OPENBLAS_CORETYPE
# = Haswell, SkylakeX, Cooperlake, Zen), once as on a CPU without AVX-512 (no-avx512: Haswell kernels and .NET's AVX-512
# turned off, DOTNET_EnableAVX512=0, so our own kernels take their AVX2 paths) and once on the managed backend
# (NTK_BLAS=managed), skipping, with the reason, the cores this CPU cannot run; prints a table (core, passed, failed, skipped tests, seconds) and each run's failed tests.
# Exits 1 if any run failed (or no run could be made). Test processes and the `ntk` children they start inherit the core.
#
#   bash scripts/test-cores.sh                          # every core this CPU runs, then managed
#   CORES="Haswell managed" bash scripts/test-cores.sh  # some of them
#   bash scripts/test-cores.sh --filter "FullyQualifiedName~RunnerTests"   # options go to dotnet test
#
# Logs: $LOGS (default a fresh folder under /tmp), one per run. The suite is built once, then run with --no-build, niced.
set -uo pipefail
cd "$(dirname "$0")/.."
cores=${CORES:-"Haswell SkylakeX Cooperlake Zen no-avx512 managed"}
logs=${LOGS:-$(mktemp -d /tmp/test-cores.XXXXXX)}
mkdir -p "$logs"
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "

# The CPU flags each core's kernels execute (OpenBLAS's Zen target runs the Haswell kernels: AVX2 and FMA).
needs() {
  case "$1" in
    Haswell | Zen | no-avx512) echo "avx2 fma" ;;
    SkylakeX) echo "avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl" ;;
    Cooperlake) echo "avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16" ;;
    managed) echo "" ;;
    *) return 1 ;;
  esac
}

echo "building (Release)"
if ! nice dotnet build NtkDynamics.slnx -c Release --nologo -v q >"$logs/build.log" 2>&1; then
  tail -20 "$logs/build.log"; echo "test-cores: the build failed (log: $logs/build.log)"; exit 1
fi
ntk="dotnet src/NtkDynamics.Cli/bin/Release/net10.0/ntk.dll"

rows=() failures=() any_failed=0 runs=0
for core in $cores; do
  if ! need=$(needs "$core"); then echo "test-cores: unknown core '$core' (expected Haswell, SkylakeX, Cooperlake, Zen, no-avx512 or managed)"; exit 2; fi
  missing=""
  for f in $need; do [[ "$flags" == *" $f "* ]] || missing+=" $f"; done
  if [ -n "$missing" ]; then
    echo "== $core: skipped, this CPU lacks$missing (/proc/cpuinfo)"
    rows+=("$core|skipped|-|-|-|lacks$missing"); continue
  fi
  case "$core" in
    managed) env=(NTK_BLAS=managed) ;;
    no-avx512) env=(OPENBLAS_CORETYPE=Haswell DOTNET_EnableAVX512=0) ;;
    *) env=(OPENBLAS_CORETYPE="$core") ;;
  esac
  # Which backend and core `ntk` really gets under this environment (OpenBLAS falls back silently to another core).
  got=$(env "${env[@]}" $ntk info 2>&1 | awk '/^backend /{b=$0} /^core /{c=$0} END{print (c != "" ? c : b)}' | tr -s ' ')
  echo "== $core: ${env[*]} ($got)"
  log="$logs/$core.log"
  start=$(date +%s)
  env "${env[@]}" nice dotnet test NtkDynamics.slnx -c Release --nologo --no-build "$@" >"$log" 2>&1
  rc=$?
  seconds=$(( $(date +%s) - start ))
  sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{s += $2} END {print s + 0}'; }
  passed=$(sum Passed) failed=$(sum Failed) skipped=$(sum Skipped)
  runs=$((runs + 1))
  if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    any_failed=1
    names=$(grep -oE '^ +Failed [^ ]+' "$log" | awk '{print $2}' | sort -u)
    [ -z "$names" ] && names="(no test failed: exit code $rc, see $log)"
    failures+=("$core: $(echo $names)")
  fi
  echo "   $passed passed, $failed failed, $skipped skipped in $seconds s (log: $log)"
  rows+=("$core|$passed|$failed|$skipped|$seconds|$got")
done

echo
printf '%-11s %7s %7s %8s %8s  %s\n' core passed failed skipped seconds "backend (ntk info)"
for r in "${rows[@]}"; do
  IFS='|' read -r core passed failed skipped seconds what <<<"$r"
  printf '%-11s %7s %7s %8s %8s  %s\n' "$core" "$passed" "$failed" "$skipped" "$seconds" "$what"
done
for f in "${failures[@]}"; do echo "failed under $f"; done
[ "$runs" -gt 0 ] || { echo "test-cores: no core could run here"; exit 1; }
exit "$any_failed"
