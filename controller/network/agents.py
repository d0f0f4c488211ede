"""Neutron's agents, as pocketstack's hosts are them (``/v2.0/agents``).

pocketstack has no separate Neutron agents: each host's pocketstack agent does their
work. On every host it runs the L2 side (Linux bridges, VXLAN, port filters), a DHCP
server per network with ports there (dnsmasq in a ``qdhcp-`` namespace) and the
metadata proxy beside it; a host with ``[l3] enabled`` also runs the routers, whose
ports it binds to itself. So the agents listed are, for each host whose agent reports
to the conductor, a Linux bridge, a DHCP and a Metadata agent, and an L3 agent for
each host router ports are bound to; one is alive while its host's agent reports
(``[scheduler] service_down_time``). Each carries the binary name of the Neutron agent
whose work it stands for (``neutron-dhcp-agent``, ...), as clients filter on them. Its id
is derived from its host and type, so it stays the same across listings; only its
description is kept.
"""
import dataclasses
import uuid

from sqlalchemy import distinct, select

from controller.api import errors
from controller.db.base import utcnow
from controller.network import l3_rules
from controller.network.agent_models import NetworkAgent
from controller.network.models import Port
from controller.scheduler import AGENT_BINARY, placement

_ID_NAMESPACE = uuid.UUID("5f0f4d1e-8a3c-4b57-9d53-3c1c2b7f6a10")


@dataclasses.dataclass(frozen=True)
class Kind:
    agent_type: str
    binary: str
    topic: str
    configurations: dict
    zoned: bool          # Neutron gives DHCP and L3 agents an availability zone


L2 = Kind("Linux bridge agent", "neutron-linuxbridge-agent", "N/A",
          {"tunnel_types": ["vxlan"], "l2_population": False}, False)
DHCP = Kind("DHCP agent", "neutron-dhcp-agent", "dhcp_agent",
            {"dhcp_driver": "dnsmasq", "dhcp_distributed": True}, True)
METADATA = Kind("Metadata agent", "neutron-metadata-agent", "N/A", {}, False)
L3 = Kind("L3 agent", "neutron-l3-agent", "l3_agent", {"agent_mode": "legacy"}, True)
EVERY_HOST = (L2, DHCP, METADATA)


def agent_id(host, kind):
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind.agent_type}@{host}"))


def _timestamp(value):
    """Neutron shows agents' times as ``2026-12-04 16:05:00``."""
    return value.replace(microsecond=0).isoformat(sep=" ") if value else None


class AgentOperations:
    def __init__(self, db, conf):
        self.db = db
        self.conf = conf

    def list(self):
        """Every agent of every host, as Neutron shows them."""
        services = placement.list_services(self.db, binary=AGENT_BINARY)
        with self.db.session() as session:
            l3_hosts = set(session.scalars(select(distinct(Port.binding_host_id)).where(
                Port.device_owner.in_((l3_rules.ROUTER_INTERFACE,
                                       l3_rules.ROUTER_GATEWAY)),
                Port.binding_host_id != "")))
            descriptions = {row.id: row.description
                            for row in session.scalars(select(NetworkAgent))}
        now = utcnow()
        agents = []
        for service in services:
            kinds = EVERY_HOST + ((L3,) if service.host in l3_hosts else ())
            agents += [self._view(service, kind, now, descriptions) for kind in kinds]
        return agents

    def _view(self, service, kind, now, descriptions):
        identifier = agent_id(service.host, kind)
        return {
            "id": identifier, "agent_type": kind.agent_type, "binary": kind.binary,
            "host": service.host, "topic": kind.topic,
            "alive": placement.is_up(service, now, self.conf.scheduler.service_down_time),
            "admin_state_up": True,
            "availability_zone": (service.availability_zone or "nova") if kind.zoned
            else None,
            "configurations": dict(kind.configurations),
            # The host's agent first reported then; pocketstack keeps no restart time.
            "created_at": _timestamp(service.created_at),
            "started_at": _timestamp(service.created_at),
            "heartbeat_timestamp": _timestamp(service.last_seen_at),
            "description": descriptions.get(identifier),
            "resources_synced": None,
        }

    def show(self, identifier):
        for agent in self.list():
            if agent["id"] == identifier:
                return agent
        raise errors.NotFound(f"Agent {identifier} could not be found.", "AgentNotFound")

    def update(self, identifier, values):
        """Only the description changes: pocketstack's agents serve every network and
        router of their host, so an agent cannot be taken out of service alone."""
        self.show(identifier)
        if values.get("admin_state_up") is False:
            raise errors.Conflict("pocketstack's network agents cannot be disabled one by "
                                  "one; disable the compute host's service instead.",
                                  "Conflict")
        if "description" in values:
            with self.db.session() as session:
                row = session.get(NetworkAgent, identifier)
                if row is None:
                    row = NetworkAgent(id=identifier, created_at=utcnow())
                    session.add(row)
                row.description = values["description"]
                row.updated_at = utcnow()
        return self.show(identifier)

    def delete(self, identifier):
        """Forget what was kept of an agent (its description); an agent whose host still
        reports is listed again, as a Neutron agent that reports again is."""
        self.show(identifier)
        with self.db.session() as session:
            row = session.get(NetworkAgent, identifier)
            if row is not None:
                session.delete(row)
