"""Copying a stopped guest's directory to another compute host for a cold migration or
a resize there, as Nova's libvirt driver does over SSH: root of this host logs in to
the destination's root with ``[libvirt] migration_ssh_key`` (host keys learnt on first
use into ``migration_ssh_known_hosts``) and the directory goes over with ``scp``, to
the same path (the hosts share the instances path, as for live migration)."""
import os

from oslo_concurrency import processutils

from agent.virt import driver


def known_hosts(conf):
    return conf.libvirt.migration_ssh_known_hosts or os.path.join(
        conf.state_path, "migration_known_hosts")


def ssh_options(conf):
    """The options of ``ssh`` and ``scp``: the key, no prompt, host keys pinned on
    first use in a file of pocketstack's own."""
    return ["-i", conf.libvirt.migration_ssh_key, "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"UserKnownHostsFile={known_hosts(conf)}", "-o", "ConnectTimeout=15"]


def check_configured(conf, dest_host):
    if not conf.libvirt.migration_ssh_key:
        raise driver.VirtError(
            f"Moving a stopped libvirt guest to another host ({dest_host}) copies its "
            f"disks over SSH: set [libvirt] migration_ssh_key.")


def send(conf, directory, dest_host):
    """Make ``directory`` on ``dest_host`` a copy of this host's (replacing any)."""
    options = ssh_options(conf)
    target = f"root@{dest_host}"
    try:
        processutils.execute("ssh", *options, target, "rm", "-rf", directory)
        processutils.execute("scp", "-q", "-r", "-p", *options, directory,
                             f"{target}:{os.path.dirname(directory)}/")
    except processutils.ProcessExecutionError as exc:
        raise driver.VirtError(f"Could not copy {directory} to {dest_host}: "
                               f"{exc.stderr.strip() or exc}") from exc


def remove(conf, directory, dest_host):
    """Remove ``directory`` on ``dest_host`` (a copy that is no longer needed)."""
    processutils.execute("ssh", *ssh_options(conf), f"root@{dest_host}", "rm", "-rf",
                         directory)
