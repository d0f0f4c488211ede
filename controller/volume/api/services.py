"""``/os-services``: the block storage services and whether they work, for
``openstack volume service list``.

The volume service runs inside the API process of its storage host (see
``controller.volume.manager``), so there is one ``cinder-volume`` per API host and the
process answering is the one to ask. "Up" means that its backend can work: the
volumes directory is writable and the qemu tools it runs are there.
"""
import os
import shutil

from controller import policy
from controller.db.base import isotime, utcnow

BINARY = "cinder-volume"
BACKEND = "files"


def backend_problems(volumes_path, executables):
    """Why the file backend could not make or export volumes now (empty: it can)."""
    problems = []
    if not os.path.isdir(volumes_path) or not os.access(volumes_path, os.W_OK | os.X_OK):
        problems.append(f"{volumes_path} is not a writable directory")
    problems += [f"{name} is not installed" for name in executables
                 if shutil.which(name) is None]
    return problems


class Services:
    def __init__(self, conf, volumes_path):
        self.conf = conf
        self.volumes_path = volumes_path

    def on_get(self, req, resp, project_id=None):
        policy.authorize(req.context.auth, "volume_extension:services:index")
        problems = backend_problems(self.volumes_path, (self.conf.volume.qemu_img,
                                                        self.conf.volume.storage_daemon))
        service = {
            "binary": BINARY, "host": f"{self.conf.host}@{BACKEND}",
            "zone": self.conf.volume.availability_zone, "status": "enabled",
            "state": "down" if problems else "up", "updated_at": isotime(utcnow()),
            "disabled_reason": None, "replication_status": "disabled",
            "active_backend_id": None, "frozen": False}
        # Fields Cinder adds from a microversion on.
        if req.context.microversion >= (3, 7):
            service["cluster"] = None
        if req.context.microversion >= (3, 49):
            service["backend_state"] = "down" if problems else "up"
        wanted = {key: req.get_param(key) for key in ("host", "binary")}
        matches = all(value is None or service[key] == value
                      for key, value in wanted.items())
        resp.media = {"services": [service] if matches else []}
