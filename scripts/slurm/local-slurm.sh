#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, for testing job scripts.
#
#   scripts/slurm/local-slurm.sh start DIR   # configure and start munged, slurmctld, slurmd in DIR
#   scripts/slurm/local-slurm.sh stop DIR    # stop them (by the pids recorded in DIR)
#
# Everything lives in DIR (an empty or absent directory): slurm.conf, the munge key and
# socket, state, spool, logs and pid files. Nothing in /etc or /run is touched, so it runs
# beside a real installation. Clients find the cluster through SLURM_CONF=DIR/slurm.conf.
# Daemons run as the calling user (CI runs as root). Needs slurmctld, slurmd, munged
# (Debian: apt-get install slurm-wlm munge). "start" exits non-zero with one line on
# stderr naming what failed; it leaves nothing running then.
set -euo pipefail

die() { echo "local-slurm: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[[ $cmd == start || $cmd == stop ]] && [[ -n $dir ]] || die "usage: $0 start|stop DIR"

stop() {
  local name pid
  # Jobs first (while slurmctld and slurmd still run), so no job process outlives the cluster.
  if [[ -f $dir/slurmctld.pid && -f $dir/slurm.conf ]]; then
    SLURM_CONF=$dir/slurm.conf scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 30); do
      [[ -z $(SLURM_CONF=$dir/slurm.conf squeue -h -t all -o '%i %T' 2>/dev/null | grep -v -E 'COMPLETED|CANCELLED|FAILED|TIMEOUT|PREEMPTED|NODE_FAIL|OUT_OF_MEMORY' || true) ]] && break
      sleep 0.5
    done
  fi
  for name in slurmd slurmctld munged; do
    [[ -f $dir/$name.pid ]] || continue
    pid=$(<"$dir/$name.pid")
    [[ $pid =~ ^[0-9]+$ ]] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}

if [[ $cmd == stop ]]; then
  stop
  exit 0
fi

for bin in munged slurmctld slurmd sbatch scontrol; do
  command -v "$bin" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
  command -v "$bin" >/dev/null 2>&1 || die "$bin not found (Debian: apt-get install slurm-wlm munge)"
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
trap 'stop' ERR
# From here on a failure stops what was started.
fail() { stop; die "$@"; }

# munge: its own key and socket
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" \
  || fail "munged did not start; see $dir/munged.log"

# two free TCP ports for slurmctld and slurmd
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free TCP port found"
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
[[ $ctld_port != "$slurmd_port" ]] || slurmd_port=$((ctld_port + 1))

node=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
user=$(id -un)

cat >"$dir/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobRequeue=1
ReturnToService=2
MinJobAge=300
KillWait=5
PlugStackConfig=$dir/plugstack.conf
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
: >"$dir/plugstack.conf"
export SLURM_CONF=$dir/slurm.conf

slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start; see $dir/slurmctld.log"
slurmd -f "$SLURM_CONF" -N "$node" || fail "slurmd did not start; see $dir/slurmd.log"

# ready when the node is idle
for _ in $(seq 150); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null || true)
  if [[ $state == idle ]]; then
    echo "local-slurm: node $node idle ($cpus CPUs); export SLURM_CONF=$SLURM_CONF" >&2
    exit 0
  fi
  sleep 0.2
done
fail "the node did not become idle within 30 s (state '${state:-none}'); see $dir/slurmctld.log and $dir/slurmd.log"
