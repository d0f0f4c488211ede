#!/bin/bash
# PID 1 of one lab host. tests/lab/lab.py starts it inside the host's own network, mount,
# UTS and PID namespaces (`ip netns exec NS unshare --mount --uts --pid ...`); it gives
# the host its name, a /run of its own and its private directories, then runs sshd on
# the management address until the lab kills it, which ends every process of the host.
#
#   host-init.sh HOSTDIR     HOSTDIR/{hostname,mounts,sshd_config} say what to do
set -euo pipefail
hostdir=$1

hostname "$(cat "$hostdir/hostname")"
mount -t tmpfs -o mode=0755,size=256m lab-run /run
mkdir -p /run/lock /run/sshd
chmod 1777 /run/lock
# "SOURCE TARGET" lines: the host's own copy of each directory (and of /etc/hosts).
while read -r source target; do
    mount --bind "$source" "$target"
done < "$hostdir/mounts"

/usr/sbin/sshd -D -e -f "$hostdir/sshd_config" 2>>"$hostdir/sshd.log" &
# As PID 1 bash also reaps the daemons the host's services leave to it.
wait
