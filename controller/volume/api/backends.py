"""What the storage backend offers, for admins: ``/scheduler-stats/get_pools`` (its pool
and, with ``detail``, the capabilities the scheduler matches) and
``/capabilities/{host}`` (Cinder's backend capabilities document)."""
from controller import policy
from controller.api import errors
from controller.db.base import isotime, utcnow
from controller.volume import capabilities
from controller.volume.api import schemas


class Pools:
    def __init__(self, conf, volumes_path):
        self.conf = conf
        self.volumes_path = volumes_path

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "scheduler_extension:scheduler_stats:get_pools")
        name = f"{self.conf.host}@{capabilities.BACKEND}#{capabilities.POOL}"
        pool = {"name": name}
        if schemas.to_bool(req.get_param("detail", default="false")):
            pool["capabilities"] = {
                **capabilities.backend_capabilities(self.volumes_path),
                "timestamp": isotime(utcnow())}
        resp.media = {"pools": [pool]}


class Capabilities:
    def __init__(self, conf):
        self.conf = conf

    def on_get(self, req, resp, host):
        policy.authorize(req.context.auth, "volume_extension:capabilities")
        backend = f"{self.conf.host}@{capabilities.BACKEND}"
        if host not in (self.conf.host, backend, f"{backend}#{capabilities.POOL}"):
            raise errors.NotFound(f"Can't find service: {host}")
        resp.media = {
            "namespace": f"OS::Storage::Capabilities::{backend}",
            "vendor_name": capabilities.VENDOR,
            "volume_backend_name": capabilities.BACKEND,
            "pool_name": None, "driver_version": capabilities.DRIVER_VERSION,
            "storage_protocol": capabilities.PROTOCOL, "display_name": None,
            "description": None, "visibility": None, "replication_targets": [],
            "properties": {
                "thin_provisioning": {"title": "Thin Provisioning", "type": "boolean",
                                      "description": "Sets thin provisioning."}},
        }
