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
from controller.api import errors
from controller.db.base import isotime, utcnow
from controller.volume import capabilities, service_state
from controller.volume.api import common, schemas

BINARY = "cinder-volume"


def backend_problems(volumes_path, executables):
    """Why the file backend could not make or export volumes now (empty: it can)."""
    problems = []
    if not os.path.isdir(volumes_path) or not os.access(volumes_path, os.W_OK | os.X_OK):
        problems.append(f"{volumes_path} is not a writable directory")
    problems += [f"{name} is not installed" for name in executables
                 if shutil.which(name) is None]
    return problems


def _matches_host(service_host, host):
    """Cinder's host filter: the host itself or its backends (host@backend#pool)."""
    return host is None or service_host == host or service_host.startswith(
        (host + "@", host + "#"))


class Services:
    def __init__(self, db, conf, volumes_path):
        self.db = db
        self.conf = conf
        self.volumes_path = volumes_path

    def on_get(self, req, resp, project_id=None):
        policy.authorize(req.context.auth, "volume_extension:services:index")
        problems = backend_problems(self.volumes_path, (self.conf.volume.qemu_img,
                                                        self.conf.volume.storage_daemon))
        current = service_state.state(self.db, self.conf.host)
        service = {
            "binary": BINARY, "host": f"{self.conf.host}@{capabilities.BACKEND}",
            "zone": self.conf.volume.availability_zone,
            "status": "disabled" if current.disabled else "enabled",
            "state": "down" if problems else "up", "updated_at": isotime(utcnow()),
            "disabled_reason": current.disabled_reason, "replication_status": "disabled",
            "active_backend_id": None, "frozen": current.frozen}
        # Fields Cinder adds from a microversion on.
        if req.context.microversion >= (3, 7):
            service["cluster"] = None
        if req.context.microversion >= (3, 49):
            service["backend_state"] = "down" if problems else "up"
        host, binary = req.get_param("host"), req.get_param("binary")
        matches = _matches_host(service["host"], host) and binary in (None, BINARY)
        resp.media = {"services": [service] if matches else []}


class ServiceAction:
    """``PUT /os-services/{enable,disable,disable-log-reason}``: turn the volume service
    of a host on or off (with the reason why); ``freeze``/``thaw`` its backend."""

    def __init__(self, db, conf):
        self.db = db
        self.conf = conf

    def on_put(self, req, resp, action):
        if action in ("freeze", "thaw"):
            self._freeze_or_thaw(req, action)
            return
        policy.authorize(req.context.auth, "volume_extension:services:update")
        if action not in ("enable", "disable", "disable-log-reason"):
            raise errors.NotFound(f"Unknown action {action}.")
        body = common.body(req, schemas.SERVICE_CHANGE)
        reason = body.get("disabled_reason")
        if action == "disable-log-reason" and not (reason and reason.strip()):
            raise errors.BadRequest("Disabled reason contains invalid characters or is "
                                    "too long")
        host = f"{self.conf.host}@{capabilities.BACKEND}"
        binary = body.get("binary") or body.get("service")
        if not _matches_host(host, body["host"]) or binary != BINARY:
            raise errors.NotFound(f"Service {binary} on host {body['host']} could not be "
                                  f"found.")
        disabled = action != "enable"
        service_state.set_disabled(self.db, self.conf.host, disabled, reason)
        resp.media = {"host": body["host"], "service": binary, "binary": binary,
                      "disabled": disabled, "status": "disabled" if disabled else "enabled"}
        if action != "disable":
            resp.media["disabled_reason"] = reason if disabled else None

    def _freeze_or_thaw(self, req, action):
        policy.authorize(req.context.auth, f"volume:{action}_host")
        host = common.body(req, schemas.SERVICE_CHANGE)["host"]
        # Cinder names the backend (host@backend); an unknown one is invalid input.
        if not _matches_host(f"{self.conf.host}@{capabilities.BACKEND}", host):
            raise errors.BadRequest(f"Invalid input received: Service {host} could not "
                                    f"be found.")
        service_state.set_frozen(self.db, self.conf.host, action == "freeze")
