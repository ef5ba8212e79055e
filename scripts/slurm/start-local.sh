#!/usr/bin/env bash
# Starts a private single-node Slurm on this machine (for tests and local sweeps), as root.
# Everything lives in $NTK_SLURM_DIR (default /tmp/ntk-slurm): config, keys, sockets, logs, spool, pids.
# Its own munged (own key and socket), slurmctld and slurmd; no accounting database: finished jobs are
# recorded by jobcomp/filetxt in $NTK_SLURM_DIR/jobcomp.txt. Idempotent: a running instance is left as it is.
# Afterwards:  source $NTK_SLURM_DIR/env   (sets SLURM_CONF for sbatch, squeue, scancel, ...)
# Stop everything with scripts/slurm/stop-local.sh.  Ports: $NTK_SLURM_PORT (default 6817) and the next one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${NTK_SLURM_DIR:-/tmp/ntk-slurm}
port=${NTK_SLURM_PORT:-6817}
die() { echo "start-local.sh: error: $*" >&2; exit 1; }
say() { echo "start-local.sh: $*"; }

if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "must run as root (the Slurm daemons run as SlurmUser=root) and sudo is missing"
  exec sudo -n env NTK_SLURM_DIR="$dir" NTK_SLURM_PORT="$port" "$0" "$@"
fi

# 1. Packages.
missing=""
for c in munged slurmctld slurmd sbatch sinfo; do command -v "$c" >/dev/null || missing="$missing $c"; done
if [ -n "$missing" ]; then
  say "missing:$missing; installing slurm-wlm and munge with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 slurm-wlm munge >/dev/null || die "apt-get install slurm-wlm munge failed"
  for c in $missing; do command -v "$c" >/dev/null || die "$c is still missing after installing slurm-wlm and munge (PATH=$PATH)"; done
  # Debian's packages start system daemons with /etc configs we do not use; ours run beside them on their own sockets and ports.
fi

# 2. Already running?
export SLURM_CONF=$dir/slurm.conf
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if alive "$dir/slurmctld.pid" && alive "$dir/slurmd.pid" && alive "$dir/munged.pid" \
   && sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  say "already running (SLURM_CONF=$SLURM_CONF)"
  exit 0
fi
[ -e "$dir" ] && { say "cleaning a stale or partial instance in $dir"; NTK_SLURM_DIR=$dir "$here/stop-local.sh" >/dev/null; }

for p in "$port" $((port + 1)); do
  if ss -ltn 2>/dev/null | awk '{print $4}' | grep -qE "[:.]$p\$"; then
    die "port $p is in use (another slurmctld/slurmd?); choose others with NTK_SLURM_PORT=<base port>"
  fi
done

# Prints the last lines of a log, stops what was started and fails.
fail_with_log() {
  echo "---- last lines of $2 ----" >&2; tail -n 20 "$2" >&2 2>/dev/null || true
  NTK_SLURM_DIR=$dir "$here/stop-local.sh" >/dev/null; die "$1"
}
# wait_for SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $end ] || return 1; sleep 0.2; done
}

mkdir -p "$dir"/{munge,state,spool}
chmod 755 "$dir" "$dir/munge"   # readable, so users other than root can submit; the key itself is root-only

# 3. munge: our own key and socket, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
sock=$dir/munge/munge.socket
munged --force --socket="$sock" --key-file="$dir/munge/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed" 2>>"$dir/munged.log" \
  || fail_with_log "munged did not start" "$dir/munged.log"
wait_for 10 bash -c "munge -n -S '$sock' | unmunge -S '$sock'" || fail_with_log "munge credentials do not round-trip" "$dir/munged.log"

# 4. slurm.conf: one node (this machine), one partition, no accounting, finished jobs to a text file.
node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
# The node's layout as slurmd detects it (sockets, cores, threads), with 90% of the memory left to jobs.
layout=$(slurmd -C 2>/dev/null | head -n 1 | grep -oE '(Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=[0-9]+' | tr '\n' ' ')
cat > "$dir/slurm.conf.tmp" <<CONF
ClusterName=ntklocal
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
PlugStackConfig=$dir/plugstack.conf
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=256
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus ${layout}RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
mv "$dir/slurm.conf.tmp" "$dir/slurm.conf"
: > "$dir/plugstack.conf"
echo "export SLURM_CONF=$dir/slurm.conf" > "$dir/env"

# 5. Daemons.
slurmctld -c 2>>"$dir/slurmctld.log" || fail_with_log "slurmctld did not start" "$dir/slurmctld.log"
wait_for 30 scontrol ping || fail_with_log "slurmctld does not answer scontrol ping" "$dir/slurmctld.log"
slurmd -c 2>>"$dir/slurmd.log" || fail_with_log "slurmd did not start" "$dir/slurmd.log"
node_idle() { [ "$(sinfo -h -n "$node" -o %T)" = idle ]; }
wait_for 60 node_idle || fail_with_log "node $node is not idle after 60 s (state and reason: $(sinfo -h -n "$node" -o "%T, %E" 2>&1))" "$dir/slurmd.log"

say "Slurm is up: node $node ($cpus CPUs, ${mem_mb} MB), partition local, ports $port/$((port + 1))"
say "use it with:  source $dir/env"
