"""A snapshot of a guest's root disk: one standalone qcow2, its backing chain (the
overlay on the cached base image) flattened into it, so the image stands on its own.

The copy is consistent because the guest does not run while it is made: a running guest
is paused first — QEMU drains and flushes every disk when it stops the vCPUs — and let
run again right after, before the upload; a stopped or suspended guest holds still.
"""
from oslo_concurrency import processutils

from agent.virt import driver

DISK_FORMAT = "qcow2"


def flatten(source, target):
    """Copy the qcow2 ``source`` and everything under it into ``target``. ``-U``: QEMU
    keeps its lock on the disk of a paused guest; reading it is safe then."""
    try:
        processutils.execute("qemu-img", "convert", "-U", "-f", "qcow2", "-O", DISK_FORMAT,
                             source, target)
    except processutils.ProcessExecutionError as exc:
        raise driver.VirtError(f"Copying the root disk failed: {exc.stderr.strip()}"
                               ) from exc
