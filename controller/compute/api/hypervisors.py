"""``/os-hypervisors``: each compute host's capacity and what is claimed of it (admins)."""
from contract.exception import ComputeError
from controller import policy
from controller.api import errors
from controller.compute.api import common
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
        "host_ip": node.host, "cpu_info": ({"arch": node.cpu_arch}
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


class _HypervisorList:
    def __init__(self, svc):
        self.svc = svc

    def list(self, req, view, path):
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        nodes = sorted(placement.list_compute_nodes(self.svc.db), key=lambda n: n.id)
        pattern = req.get_param("hypervisor_hostname_pattern")
        if pattern:
            nodes = [n for n in nodes if pattern in n.hypervisor_hostname]
        services = {s.host: s for s in placement.list_services(self.svc.db,
                                                               binary=AGENT_BINARY)}
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        key = (lambda n: n.uuid) if req.context.microversion >= (2, 53) else (
            lambda n: str(n.id))
        page = common.paginate(nodes, limit, marker, key)
        now = utcnow()
        body = {"hypervisors": [view(req, self.svc, n, services.get(n.host), now)
                                for n in page]}
        more = common.next_link(req, path, page, limit, key)
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
        node = _node(self.svc, hypervisor_id)
        resp.media = {"hypervisor": detail(req, self.svc, node, _service_of(self.svc, node),
                                           utcnow())}


class UptimeNotImplemented(ComputeError):
    code = 501


class Uptime:
    """``/os-hypervisors/{id}/uptime`` (before 2.88): agents do not report their host's
    uptime, so this answers as Nova does for such drivers (501, which clients expect)."""

    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, hypervisor_id):
        policy.authorize(req.context.auth, "os_compute_api:os-hypervisors")
        _node(self.svc, hypervisor_id)
        raise UptimeNotImplemented("Virt driver does not implement uptime function.")


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
