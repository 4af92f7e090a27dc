#!/usr/bin/env bash
# Install the Slurm and munge Debian packages that the test cluster (test/slurm/cluster.ts) runs.
# Idempotent: does nothing when the binaries are already there. Daemons are not started here
# (the packages do not start them without systemd; the tests start private ones themselves).
set -euo pipefail

need=(/usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged /usr/bin/munge /usr/bin/srun /usr/bin/sbatch)
missing=0
for f in "${need[@]}"; do [[ -x $f ]] || missing=1; done
if [[ $missing == 0 ]]; then
  echo "install-slurm: already installed ($(slurmctld -V))"
  exit 0
fi

SUDO=()
if [[ $(id -u) != 0 ]]; then SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
echo "install-slurm: installed ($(slurmctld -V))"
