"""Hosts as the scheduler sees them: a HostTable of numpy columns, one row per host, so
that each filter and weigher judges every host in a few vector operations (a decision
over 1,000 hosts takes a fraction of a millisecond); the HostManager that loads it from
the database in one query and caches it briefly; HostState, one host, for building
tables in memory.
"""
import collections
import dataclasses
import time

import numpy
from sqlalchemy import and_, select

from controller.compute import aggregates
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, capacity, placement
from controller.scheduler.models import ComputeNode, Service

# Spellings of one CPU architecture, as Nova's arch.canonicalize knows them.
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64",
                 "i486": "i686", "i586": "i686", "x86": "i686", "ia32": "i686"}


def canonical_arch(name):
    name = (name or "").strip().lower()
    return _ARCH_ALIASES.get(name, name)


@dataclasses.dataclass
class HostState:
    """One compute host: capacity and usage of its node, liveness of its agent."""

    host: str
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    reserved_host_memory_mb: int = 0
    running_vms: int = 0
    nodename: str | None = None
    hypervisor_type: str = "QEMU"
    cpu_arch: str = "x86_64"
    availability_zone: str = "nova"
    service_up: bool = True
    service_disabled: bool = False


class HostTable:
    """Every host's state as columns: ``columns`` maps each HostState field to one value
    per host, row ``i`` being the i-th host.

    Free capacity columns already apply allocation ratios and reserved memory
    (``capacity``); string columns are numpy unicode arrays, architectures and
    hypervisor types in canonical lower case.
    """

    def __init__(self, columns):
        def column(name, dtype):
            return numpy.array(columns[name], dtype=dtype)

        self.host = column("host", str)
        self.nodename = [node or host
                         for node, host in zip(columns["nodename"], columns["host"])]
        self.availability_zone = column("availability_zone", str)
        self.cpu_arch = numpy.array([canonical_arch(a) for a in columns["cpu_arch"]],
                                    dtype=str)
        self.hypervisor_type = numpy.array(
            [(h or "").lower() for h in columns["hypervisor_type"]], dtype=str)
        self.vcpus = column("vcpus", numpy.int64)
        self.memory_mb = column("memory_mb", numpy.int64)
        self.local_gb = column("local_gb", numpy.int64)
        self.running_vms = column("running_vms", numpy.int64)
        self.service_up = column("service_up", bool)
        self.service_disabled = column("service_disabled", bool)
        self.free_vcpus = capacity.free_vcpus(
            self.vcpus, column("vcpus_used", float), column("cpu_allocation_ratio", float))
        self.free_ram_mb = capacity.free_ram_mb(
            self.memory_mb, column("memory_mb_used", float),
            column("ram_allocation_ratio", float), column("reserved_host_memory_mb", float))
        self.free_disk_gb = capacity.free_disk_gb(
            self.local_gb, column("local_gb_used", float),
            column("disk_allocation_ratio", float))

    @classmethod
    def from_states(cls, states):
        return cls({field.name: [getattr(state, field.name) for state in states]
                    for field in dataclasses.fields(HostState)})

    def __len__(self):
        return len(self.host)

    def all(self):
        """A mask that keeps every host."""
        return numpy.ones(len(self.host), dtype=bool)

    def destination(self, row, resources):
        """What select_destinations returns for the host in ``row``."""
        return {"host": str(self.host[row]), "nodename": self.nodename[row],
                "resources": dict(resources)}

    def consume(self, row, resources):
        """Count a server just placed on ``row`` (Nova's consume_from_request), so the next
        decision before a reload sees the host fuller."""
        self.free_vcpus[row] -= resources["vcpus"]
        self.free_ram_mb[row] -= resources["memory_mb"]
        self.free_disk_gb[row] -= resources["disk_gb"]
        self.running_vms[row] += 1


# ComputeNode columns that are HostState fields of the same name.
_NODE_COLUMNS = ("host", "hypervisor_type", "cpu_arch", "vcpus", "memory_mb", "local_gb",
                 "vcpus_used", "memory_mb_used", "local_gb_used", "cpu_allocation_ratio",
                 "ram_allocation_ratio", "disk_allocation_ratio", "reserved_host_memory_mb",
                 "running_vms")
_SERVICE_COLUMNS = ("disabled", "forced_down", "last_seen_at", "availability_zone")

_Liveness = collections.namedtuple("_Liveness", "forced_down last_seen_at")


def load_host_table(db, service_down_time, default_availability_zone):
    """Every compute node with its agent's service, in one query, straight into columns
    (ORM objects or a HostState per host would cost more than the decisions); a second
    query gives the zones of hosts in aggregates, which win over the reported ones."""
    query = (
        select(*(getattr(ComputeNode, name) for name in _NODE_COLUMNS),
               ComputeNode.hypervisor_hostname,
               *(getattr(Service, name) for name in _SERVICE_COLUMNS))
        .outerjoin(Service, and_(Service.host == ComputeNode.host,
                                 Service.binary == AGENT_BINARY))
        .order_by(ComputeNode.id))
    now = utcnow()
    with db.session() as session:
        rows = session.execute(query).all()
        aggregate_zones = aggregates.host_zones(session)
    names = (*_NODE_COLUMNS, "nodename", *_SERVICE_COLUMNS)
    columns = dict(zip(names, zip(*rows))) if rows else {name: () for name in names}
    # No service row (all None): the agent never reported, so it is down.
    columns["service_up"] = [
        placement.is_up(_Liveness(forced, seen), now, service_down_time)
        for forced, seen in zip(columns["forced_down"], columns["last_seen_at"])]
    columns["service_disabled"] = [bool(d) for d in columns["disabled"]]
    columns["availability_zone"] = [
        aggregates.resolve_zone(aggregate_zones.get(host), zone, default_availability_zone)
        for host, zone in zip(columns["host"], columns["availability_zone"])]
    return HostTable(columns)


class HostManager:
    """Keeps the HostTable loaded from the database for up to ``cache_seconds``.

    Reusing it is safe because claims check the database: stale data can only cost a
    lost claim or an empty choice, after which the scheduler reloads. Not thread-safe:
    the scheduler makes one decision at a time.
    """

    def __init__(self, db, service_down_time, default_availability_zone, cache_seconds):
        self.db = db
        self.service_down_time = service_down_time
        self.default_availability_zone = default_availability_zone
        self.cache_seconds = cache_seconds
        self._table = None
        self._loaded_at = 0.0

    def get(self):
        """``(table, fresh)``: fresh is True when the table was just loaded."""
        if self._table is not None and time.monotonic() - self._loaded_at < self.cache_seconds:
            return self._table, False
        return self.reload(), True

    def reload(self):
        self._table = load_host_table(self.db, self.service_down_time,
                                      self.default_availability_zone)
        self._loaded_at = time.monotonic()
        return self._table

    def invalidate(self):
        self._table = None
