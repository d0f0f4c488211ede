"""Instance storage on a compute host.

A guest's disks reach the domain builder as ``Disk`` records, whatever provides them:
``ephemeral`` creates the instance's own files (root overlay, ephemeral, swap); volumes
from the volume service are ``Disk(source_type="network")`` records holding the
``connection_info`` to reach them (an NBD export, ``agent.volume.nbd``): the root disk of
a server booted from a volume, or another volume.
"""
import dataclasses

ROOT = "root"
EPHEMERAL = "ephemeral"
SWAP = "swap"
CONFIG_DRIVE = "config"
VOLUME = "volume"


@dataclasses.dataclass(frozen=True)
class Disk:
    """One disk of a guest, in the order the guest sees them."""
    role: str                 # ROOT, EPHEMERAL, SWAP, CONFIG_DRIVE or VOLUME
    path: str                 # file, block device, or a volume's URL (for logs)
    format: str = "qcow2"     # qemu driver type: qcow2 or raw
    source_type: str = "file"  # file | block | network
    read_only: bool = False
    serial: str | None = None  # shown to the guest, e.g. a volume's ID
    connection_info: dict | None = None  # a network volume: how to reach it
