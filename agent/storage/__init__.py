"""Instance storage on a compute host.

A guest's disks reach the domain builder as ``Disk`` records, whatever provides them:
``ephemeral`` creates the instance's own files (root overlay, ephemeral, swap); block
volumes attached from the volume service become ``Disk(role=VOLUME, source_type="block")``
records appended after them, and nothing else in the driver changes.
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
    path: str                 # file, or block device for a volume
    format: str = "qcow2"     # qemu driver type: qcow2 or raw
    source_type: str = "file"  # file | block
    read_only: bool = False
    serial: str | None = None  # shown to the guest, e.g. a volume's ID
