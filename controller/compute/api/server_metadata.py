"""``/servers/{id}/metadata``: a server's key/value metadata, within the project's
``metadata_items`` quota."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute import instances, models, quota, states
from controller.compute.api import common

METADATA = {"type": "object", "properties": {"metadata": common.METADATA},
            "required": ["metadata"], "additionalProperties": False}
META_ITEM = {"type": "object",
             "properties": {"meta": dict(common.METADATA, minProperties=1,
                                         maxProperties=1)},
             "required": ["meta"], "additionalProperties": False}


class _Base:
    def __init__(self, svc):
        self.svc = svc

    def _instance(self, session, req, server_id, action, lock=False):
        auth = req.context.auth
        instance = common.visible_instance(session, auth, server_id, lock=lock)
        policy.authorize(auth, action, {"project_id": instance.project_id})
        if action.endswith("update"):
            states.check_unlocked(instance.uuid, instance.locked, auth.is_admin)
            if instance.task_state == states.DELETING:
                raise errors.Conflict(f"Cannot change the metadata of instance "
                                      f"{server_id} while it is being deleted")
        return instance

    def _replace(self, session, instance, values, merge):
        """Set the metadata (merged into or replacing the old), within the quota."""
        current = instances.metadata_dict(instance) if merge else {}
        current.update(values)
        limit = quota.limits(session, self.svc.conf, instance.project_id)["metadata_items"]
        if limit != quota.UNLIMITED and len(current) > limit:
            raise errors.Forbidden(f"Quota exceeded for metadata_items: Requested "
                                   f"{len(current)}, but the limit is {limit}")
        by_key = {item.key: item for item in instance.metadata_items}
        for key, item in by_key.items():
            if key not in current:
                instance.metadata_items.remove(item)
        for key, value in current.items():
            if key in by_key:
                by_key[key].value = value
            else:
                instance.metadata_items.append(models.InstanceMetadata(key=key, value=value))
        return current


class Metadata(_Base):
    def on_get(self, req, resp, server_id):
        with self.svc.db.session() as session:
            instance = self._instance(session, req, server_id,
                                      "os_compute_api:server-metadata:index")
            resp.media = {"metadata": instances.metadata_dict(instance)}

    def _set(self, req, resp, server_id, merge):
        values = common.body(req, METADATA)["metadata"]
        with self.svc.db.session() as session:
            instance = self._instance(session, req, server_id,
                                      "os_compute_api:server-metadata:update", lock=True)
            resp.media = {"metadata": self._replace(session, instance, values, merge)}

    def on_post(self, req, resp, server_id):
        self._set(req, resp, server_id, merge=True)

    def on_put(self, req, resp, server_id):
        self._set(req, resp, server_id, merge=False)


class MetadataItem(_Base):
    def on_get(self, req, resp, server_id, key):
        with self.svc.db.session() as session:
            instance = self._instance(session, req, server_id,
                                      "os_compute_api:server-metadata:index")
            metadata = instances.metadata_dict(instance)
        if key not in metadata:
            raise errors.NotFound("Metadata item was not found")
        resp.media = {"meta": {key: metadata[key]}}

    def on_put(self, req, resp, server_id, key):
        meta = common.body(req, META_ITEM)["meta"]
        if key not in meta:
            raise errors.BadRequest("Request body and URI mismatch")
        with self.svc.db.session() as session:
            instance = self._instance(session, req, server_id,
                                      "os_compute_api:server-metadata:update", lock=True)
            self._replace(session, instance, meta, merge=True)
        resp.media = {"meta": meta}

    def on_delete(self, req, resp, server_id, key):
        with self.svc.db.session() as session:
            instance = self._instance(session, req, server_id,
                                      "os_compute_api:server-metadata:update", lock=True)
            metadata = instances.metadata_dict(instance)
            if key not in metadata:
                raise errors.NotFound("Metadata item was not found")
            del metadata[key]
            self._replace(session, instance, metadata, merge=False)
        resp.status = falcon.HTTP_204
