"""How much of a host is free and whether a request fits: the one definition shared by
the filters (on numpy columns of every host) and by claims (on one database row).

Every function works on plain numbers and on numpy arrays alike.
"""
import math

RESOURCES = ("vcpus", "memory_mb", "disk_gb")


def free_vcpus(vcpus, vcpus_used, cpu_allocation_ratio):
    return vcpus * cpu_allocation_ratio - vcpus_used


def free_ram_mb(memory_mb, memory_mb_used, ram_allocation_ratio, reserved_host_memory_mb):
    return memory_mb * ram_allocation_ratio - reserved_host_memory_mb - memory_mb_used


def free_disk_gb(local_gb, local_gb_used, disk_allocation_ratio):
    return local_gb * disk_allocation_ratio - local_gb_used


def enough(free, total, requested):
    """Room for ``requested`` units: within what is free and no bigger than the host
    itself (one guest cannot span hosts, whatever the overcommit). Asking for nothing
    always fits, even on a host that a lowered ratio left overcommitted."""
    return (requested <= 0) | ((free >= requested) & (total >= requested))


def fits(node, resources):
    """Whether ``resources`` fit on ``node`` (anything with ComputeNode's attributes)."""
    return bool(
        enough(free_vcpus(node.vcpus, node.vcpus_used, node.cpu_allocation_ratio),
               node.vcpus, resources["vcpus"])
        and enough(free_ram_mb(node.memory_mb, node.memory_mb_used,
                               node.ram_allocation_ratio, node.reserved_host_memory_mb),
                   node.memory_mb, resources["memory_mb"])
        and enough(free_disk_gb(node.local_gb, node.local_gb_used,
                                node.disk_allocation_ratio),
                   node.local_gb, resources["disk_gb"]))


def resources_from_flavor(flavor):
    """What a server of ``flavor`` holds on its host: root and ephemeral disk plus swap
    (MiB, rounded up to whole GiB), as Nova counts DISK_GB."""
    return {"vcpus": int(flavor["vcpus"]),
            "memory_mb": int(flavor["memory_mb"]),
            "disk_gb": int(flavor.get("root_gb") or 0) + int(flavor.get("ephemeral_gb") or 0)
            + math.ceil(int(flavor.get("swap") or 0) / 1024)}
