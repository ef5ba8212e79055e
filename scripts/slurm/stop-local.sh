#!/usr/bin/env bash
# Stops the Slurm started by start-local.sh and removes its folder ($NTK_SLURM_DIR, default /tmp/ntk-slurm):
# cancels every job, stops slurmd, slurmctld and munged by their pid files, ends any leftover process of
# that instance (slurmstepd holding files in the folder), then deletes the folder. Idempotent.
set -uo pipefail
dir=${NTK_SLURM_DIR:-/tmp/ntk-slurm}
say() { echo "stop-local.sh: $*"; }

if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "stop-local.sh: error: must run as root and sudo is missing" >&2; exit 1; }
  exec sudo -n env NTK_SLURM_DIR="$dir" "$0" "$@"
fi
[ -d "$dir" ] || { say "nothing to stop ($dir does not exist)"; exit 0; }
export SLURM_CONF=$dir/slurm.conf

# Pid from a pid file, only if that process is alive and has the expected name.
pid_of() { local p; p=$(cat "$dir/$1.pid" 2>/dev/null) && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$1" ] && running "$p" && echo "$p"; }
# Alive and not a zombie (an init that does not reap, as in some containers, leaves ended daemons as zombies).
running() { local s; s=$(cat /proc/"$1"/stat 2>/dev/null) && [ "$(echo "${s##*) }" | cut -c1)" != Z ]; }
# stop_pids GRACE_SECONDS PID...: SIGTERM, up to GRACE_SECONDS, then SIGKILL.
stop_pids() {
  local grace=$1; shift
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null
  for _ in $(seq $((grace * 5))); do
    local left=0; for p in "$@"; do running "$p" && left=1; done
    [ $left = 0 ] && return 0; sleep 0.2
  done
  kill -9 "$@" 2>/dev/null; return 0
}

# 1. Cancel all jobs while the controller still runs, and let them end.
if [ -n "$(pid_of slurmctld)" ]; then
  jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
  if [ -n "$jobs" ]; then
    say "cancelling jobs: $(echo $jobs)"
    scancel $jobs 2>/dev/null
    for _ in $(seq 100); do [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.2; done
  fi
fi

# 2. Daemons, compute side first.
for d in slurmd slurmctld munged; do
  p=$(pid_of $d) && { say "stopping $d ($p)"; stop_pids 10 "$p"; }
done

# 3. Leftovers of this instance (only if a daemon died): processes with a file open under $dir, such as
#    slurmstepd logging to slurmd.log or a job script in the spool, and all their descendants.
tree() { local p; for p in "$@"; do echo "$p"; tree $(pgrep -P "$p"); done; }
left=$(tree $(find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -lname "$dir/*" 2>/dev/null | cut -d/ -f3 | sort -u | grep -vx "$$") | sort -un)
if [ -n "$left" ]; then
  say "stopping leftover processes: $(for p in $left; do echo -n "$p($(cat /proc/$p/comm 2>/dev/null)) "; done)"
  stop_pids 2 $left   # slurmstepd ignores SIGTERM
fi

rm -rf "$dir"
say "stopped; $dir removed"
