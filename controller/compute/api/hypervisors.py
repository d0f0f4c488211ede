"""``/os-hypervisors``: each compute host's capacity and what is claimed of it (admins)."""
from controller import policy
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import hosts
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, placement


def _service_of(svc, node):
    services = placement.list_services(svc.db, binary=AGENT_BINARY, host=node.host)
    return services[0] if services else None


def summary(req, svc, node, service, now):
    up = service is not None and placement.is_up(service, now,
                                                 svc.conf.scheduler.service_down_time)
    return {"id": node.uuid if req.context.microversion >= (2, 53) else node.id,
            "hypervisor_hostname": node.hypervisor_hostname,
            "state": "up" if up else "down",
            "status": "disabled" if service is None or service.disabled else "enabled"}


def detail(req, svc, node, service, now):
    body = summary(req, svc, node, service, now)
    free_disk = node.local_gb - node.local_gb_used
    body.update({
        "hypervisor_type": node.hypervisor_type, "hypervisor_version": 1000000,
        "host_ip": node.host_ip, "cpu_info": ({"arch": node.cpu_arch}
                                           if req.context.microversion >= (2, 28)
                                           else f'{{"arch": "{node.cpu_arch}"}}'),
        "vcpus": node.vcpus, "vcpus_used": node.vcpus_used,
        "memory_mb": node.memory_mb, "memory_mb_used": node.memory_mb_used,
        "free_ram_mb": node.memory_mb - node.memory_mb_used,
        "local_gb": node.local_gb, "local_gb_used": node.local_gb_used,
        "free_disk_gb": free_disk, "disk_available_least": free_disk,
        "running_vms": node.running_vms, "current_workload": 0,
        "service": {"host": node.host,
                    "id": (service.uuid if req.context.microversion >= (2, 53)
                           else service.id) if service else None,
                    "disabled_reason": service.disabled_reason if service else None}})
    return body


def _with_servers(req):
    """``with_servers`` (from 2.53), a strict boolean as Nova reads it."""
    if req.context.microversion < (2, 53):
        return False
    value = req.get_param("with_servers")
    return value is not None and common.strict_bool(value, "with_servers")


def _add_servers(req, svc, body, node, with_servers):
    """The servers on ``node``'s host: listed when there are some; an empty list from
    2.75 when asked for (Nova)."""
    if not with_servers:
        return body
    servers = hosts.servers_on(svc.db, node.host)
    if servers or req.context.microversion >= (2, 75):
        body["servers"] = [{"name": name, "uuid": uuid} for name, uuid in servers]
    return body


def _matching(svc, pattern):
    """Compute nodes whose hypervisor hostname contains ``pattern``; 404 if none."""
    nodes = [n for n in placement.list_compute_nodes(svc.db)
             if pattern in n.hypervisor_hostname]
    if not nodes:
        raise errors.NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return nodes


class _HypervisorList:
    def __init__(self, svc):
        self.svc = svc

    def list(self, req, view, path):
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        with_servers = _with_servers(req)
        pattern = (req.get_param("hypervisor_hostname_pattern")
                   if req.context.microversion >= (2, 53) else None)
        if pattern is not None:
            if req.get_param("limit") is not None or req.get_param("marker") is not None:
                raise errors.BadRequest("Paging over hypervisors with the "
                                        "hypervisor_hostname_pattern query parameter is "
                                        "not supported.")
            nodes = _matching(self.svc, pattern)
        else:
            nodes = sorted(placement.list_compute_nodes(self.svc.db), key=lambda n: n.id)
        services = {s.host: s for s in placement.list_services(self.svc.db,
                                                               binary=AGENT_BINARY)}
        key = (lambda n: n.uuid) if req.context.microversion >= (2, 53) else (
            lambda n: str(n.id))
        if pattern is None:
            limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
            page = common.paginate(nodes, limit, marker, key)
        else:
            page = nodes
        now = utcnow()
        body = {"hypervisors": [
            _add_servers(req, self.svc, view(req, self.svc, n, services.get(n.host), now),
                         n, with_servers) for n in page]}
        more = pattern is None and common.next_link(req, path, page, limit, key)
        if more and req.context.microversion >= (2, 33):
            body["hypervisors_links"] = more
        return body


class Hypervisors(_HypervisorList):
    def on_get(self, req, resp):
        resp.media = self.list(req, summary, "/os-hypervisors")


class HypervisorsDetail(_HypervisorList):
    def on_get(self, req, resp):
        resp.media = self.list(req, detail, "/os-hypervisors/detail")


def _node(svc, hypervisor_id):
    for node in placement.list_compute_nodes(svc.db):
        if hypervisor_id in (node.uuid, str(node.id)):
            return node
    raise errors.NotFound(f"Hypervisor with ID {hypervisor_id} could not be found.")


class Hypervisor:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, hypervisor_id):
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        with_servers = _with_servers(req)
        node = _node(self.svc, hypervisor_id)
        body = detail(req, self.svc, node, _service_of(self.svc, node), utcnow())
        resp.media = {"hypervisor": _add_servers(req, self.svc, body, node, with_servers)}


class _BeforeQueryParameters:
    """The routes 2.53 replaced by query parameters: 404 from 2.53, as in Nova."""

    def __init__(self, svc):
        self.svc = svc

    def nodes(self, req, pattern):
        if req.context.microversion >= (2, 53):
            raise errors.NotFound("The resource could not be found.")
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        services = {s.host: s for s in placement.list_services(self.svc.db,
                                                               binary=AGENT_BINARY)}
        return [(node, services[node.host]) for node in _matching(self.svc, pattern)
                if node.host in services]


class HypervisorSearch(_BeforeQueryParameters):
    """``/os-hypervisors/{pattern}/search`` (to 2.52)."""

    def on_get(self, req, resp, hypervisor_id):
        now = utcnow()
        resp.media = {"hypervisors": [summary(req, self.svc, node, service, now)
                                      for node, service in self.nodes(req, hypervisor_id)]}


class HypervisorServers(_BeforeQueryParameters):
    """``/os-hypervisors/{pattern}/servers`` (to 2.52): the servers of each host."""

    def on_get(self, req, resp, hypervisor_id):
        now = utcnow()
        resp.media = {"hypervisors": [
            _add_servers(req, self.svc, summary(req, self.svc, node, service, now), node,
                         True) for node, service in self.nodes(req, hypervisor_id)]}


class Uptime:
    """``/os-hypervisors/{id}/uptime`` (before 2.88): the summary view and the host's
    ``uptime`` line, asked of its agent."""

    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, hypervisor_id):
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        node = _node(self.svc, hypervisor_id)
        body = summary(req, self.svc, node, _service_of(self.svc, node), utcnow())
        body["uptime"] = hosts.uptime(self.svc, req.context.auth, req.context.request_id,
                                      node.host)
        resp.media = {"hypervisor": body}


class Statistics:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        nodes = placement.list_compute_nodes(self.svc.db)
        total = {"count": len(nodes), "current_workload": 0}
        for field in ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "local_gb",
                      "local_gb_used", "running_vms"):
            total[field] = sum(getattr(node, field) for node in nodes)
        total["free_ram_mb"] = total["memory_mb"] - total["memory_mb_used"]
        total["free_disk_gb"] = total["local_gb"] - total["local_gb_used"]
        total["disk_available_least"] = total["free_disk_gb"]
        resp.media = {"hypervisor_statistics": total}
