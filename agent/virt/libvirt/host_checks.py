"""What the libvirt driver checks about this host once, at start-up: whether KVM really
works, whether the instances directory takes O_DIRECT, and whether QEMU's user can reach
the disks (so a wrong permission fails the agent's start, not every spawn)."""
import os
import pwd
import stat
import xml.etree.ElementTree as ET

import libvirt

from agent.virt import driver


def supports_direct_io(path):
    """Whether files in ``path`` can be opened with O_DIRECT (tmpfs cannot), which disk
    cache mode ``none`` needs."""
    probe = os.path.join(path, ".direct_io.test")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def first_unsearchable_dir(path, uid, gids):
    """The first directory on the way to ``path`` that user ``uid`` (in groups ``gids``)
    may not enter, or None."""
    current = "/"
    for part in os.path.abspath(path).split(os.sep)[1:]:
        current = os.path.join(current, part)
        try:
            st = os.stat(current)
        except FileNotFoundError:
            return None  # not created yet: the agent creates it searchable
        if st.st_uid == uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in gids:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return current
    return None


def qemu_identity(capabilities_xml):
    """(uid, gids) that libvirt runs QEMU as (its DAC base label), or None if it does
    not say (then QEMU runs as root)."""
    label = ET.fromstring(capabilities_xml).find(
        "host/secmodel[model='dac']/baselabel[@type='qemu']")
    if label is None:
        return None
    uid, gid = (int(part.lstrip("+")) for part in label.text.split(":"))
    try:
        gids = set(os.getgrouplist(pwd.getpwuid(uid).pw_name, gid))
    except KeyError:
        gids = {gid}
    return uid, gids



def check_qemu_can_reach(conn, paths):
    """Fail now, not at every spawn, if QEMU's user cannot open disks under ``paths``."""
    identity = qemu_identity(conn.getCapabilities())
    if identity is None or identity[0] == 0:
        return
    for path in paths:
        blocked = first_unsearchable_dir(path, *identity)
        if blocked:
            raise driver.VirtError(
                f"QEMU runs as uid {identity[0]} and cannot enter {blocked}, so it "
                f"could not open disks in {path}: allow it (chmod o+x {blocked}) or "
                f"move [libvirt] instances_path / image_cache_path.")


def kvm_usable(conn, arch):
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        conn.getDomainCapabilities(None, arch, None, "kvm")
    except libvirt.libvirtError:
        return False
    return True
