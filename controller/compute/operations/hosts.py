"""Nova's deprecated ``os-hosts`` view of the cloud (microversions up to 2.42): the hosts
of the enabled services, and what one compute host has and what its servers use.

Power actions, maintenance mode and enabling through this API are what Nova's libvirt
driver does not implement either (501): enabling a host is ``os-services``' job."""
import collections

import oslo_messaging as messaging

from contract import exception
from controller.compute import aggregates, instances
from controller.compute.operations.servers import agent_is_up
from controller.scheduler import AGENT_BINARY, placement


class HostNotFound(exception.ComputeError):
    code = 404


class NotSupportedByDriver(exception.ComputeError):
    code = 501


class InvalidHostState(exception.ComputeError):
    code = 400


def list_hosts(db, default_zone, zone=None):
    """``[(host, topic, zone)]`` of every enabled service, in service order; ``zone``
    keeps only the hosts in it. Compute hosts are in their availability zone, the
    other services in Nova's ``internal``."""
    with db.session() as session:
        zones = aggregates.host_zones(session)
        services = placement.list_services(session)
    found = []
    for service in services:
        if service.disabled:
            continue
        service_zone = (aggregates.resolve_zone(zones.get(service.host),
                                                service.availability_zone, default_zone)
                        if service.binary == AGENT_BINARY else "internal")
        if zone and service_zone != zone:
            continue
        found.append((service.host, service.topic, service_zone))
    return found


def host_resources(db, host):
    """What compute host ``host`` has and what is used of it, as Nova's show lists
    it: ``[(project, cpu, memory_mb, disk_gb)]`` — "(total)", "(used_now)" (claims),
    "(used_max)" (the flavors of its servers), then one entry per project there."""
    with db.session() as session:
        node = placement.get_compute_node(session, host)
        if node is None:
            raise HostNotFound(f"Compute host {host} could not be found.")
        servers = instances.on_host(session, host)
        rows = [("(total)", node.vcpus, node.memory_mb, node.local_gb),
                ("(used_now)", node.vcpus_used, node.memory_mb_used, node.local_gb_used)]
    per_project = collections.OrderedDict()
    total = [0, 0, 0]
    for server in servers:
        used = (server.vcpus, server.memory_mb, server.root_gb + (server.ephemeral_gb or 0))
        project = per_project.setdefault(server.project_id, [0, 0, 0])
        for i, amount in enumerate(used):
            project[i] += amount
            total[i] += amount
    rows.append(("(used_max)", *total))
    rows.extend((project, *amounts) for project, amounts in per_project.items())
    return rows


def check_compute_host(db, host):
    """A host action (enable, maintenance, power) names a compute host (404 if not);
    none of them is supported here (501), as with Nova's libvirt driver."""
    if not placement.list_services(db, binary=AGENT_BINARY, host=host):
        raise HostNotFound(f"Host {host} could not be found.")
    raise NotSupportedByDriver("The requested functionality is not supported.")


def uptime(handles, auth, request_id, host):
    """The compute host's ``uptime`` line, asked of its agent: 400 while the agent is
    down (Nova's ComputeServiceUnavailable), 409 while it is too old to tell."""
    if not agent_is_up(handles.db, handles.conf, host):
        raise InvalidHostState(f"Compute service of {host} is unavailable at this time.")
    handles.agents.check_can_send("get_host_uptime")
    try:
        return handles.agents.get_host_uptime(auth.rpc_context(request_id), host,
                                              timeout=handles.conf.compute.service_timeout)
    except messaging.MessagingTimeout:
        raise exception.ServiceUnavailable(f"The agent of host {host} did not answer.") \
            from None


def servers_on(db, host):
    """``[(name, uuid)]`` of the servers on ``host`` (the hypervisors' ``servers``)."""
    with db.session() as session:
        return [(server.name, server.uuid)
                for server in instances.on_host(session, host)]


def compute_hosts(db):
    """The hosts of every compute service, disabled ones too (they may have servers)."""
    return [service.host for service in placement.list_services(db, binary=AGENT_BINARY)]
