#!/usr/bin/env bash
# A single-node Slurm in a folder of its own, for tests and for trying the job-array template on one machine.
#   local-cluster.sh start DIR   starts munged, slurmctld and slurmd (as root, no systemd), waits until the node
#                                is idle, and writes DIR/env (source it: SLURM_CONF and the munge socket)
#   local-cluster.sh stop DIR    stops them by their pid files
# Needs Debian's slurmctld, slurmd, slurm-client and munge (scripts/install-deps.sh installs them).
set -euo pipefail
cmd=${1:?usage: local-cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: local-cluster.sh start|stop DIR}")

stop() {
  for d in slurmd slurmctld munged; do
    if [ -f "$dir/$d.pid" ]; then
      kill "$(cat "$dir/$d.pid")" 2>/dev/null || true
    fi
  done
  sleep 1
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: local-cluster.sh start|stop DIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "error: a local Slurm runs its daemons as root" >&2; exit 1; }
for b in munged mungekey slurmctld slurmd sinfo sbatch; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || {
    echo "error: $b is missing: run scripts/install-deps.sh (Debian's slurmctld slurmd slurm-client munge)" >&2
    exit 1
  }
done
export PATH="$PATH:/usr/sbin"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
rm -f "$dir/munge/munge.key"
mungekey -c -k "$dir/munge/munge.key" >/dev/null
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
# Ports of its own, so a cluster already on the machine is left alone.
port=${DIORAMA_SLURM_PORT:-16817}
cat >"$dir/slurm.conf" <<CONF
ClusterName=diorama-local
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
MpiDefault=none
NodeName=localhost CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
printf 'export SLURM_CONF=%q\n' "$SLURM_CONF" >"$dir/env"
slurmctld -i
slurmd -N localhost
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -q idle; then
    echo "local-cluster: node idle (SLURM_CONF=$SLURM_CONF)"
    exit 0
  fi
  sleep 0.5
done
echo "error: the local Slurm node did not come up; logs in $dir" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
