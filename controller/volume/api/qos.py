"""``/v3/{project_id}/qos-specs``: QoS specs and the volume types that carry them (see
``controller.volume.qos``). Cinder associates with GETs taking ``vol_type_id``."""
import falcon

from controller import policy
from controller.api import errors
from controller.volume import qos
from controller.volume.api import common, schemas


def _view(row):
    return {"id": row.id, "name": row.name, "consumer": row.consumer, "specs": row.specs}


def _links(base_url, req, row):
    project = req.context.auth.project_id
    return [{"rel": "self", "href": f"{base_url}/v3/{project}/qos-specs/{row.id}"},
            {"rel": "bookmark", "href": f"{base_url}/{project}/qos-specs/{row.id}"}]


def _type_id(req):
    type_id = req.get_param("vol_type_id")
    if not type_id:
        raise errors.BadRequest("Volume Type id must not be None.")
    return type_id


class _QosResource:
    def __init__(self, db, base_url):
        self.db = db
        self.base_url = base_url


class QosSpecsList(_QosResource):
    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:get_all")
        resp.media = {"qos_specs": [_view(row) for row in qos.list_specs(self.db)]}

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:create")
        spec = dict(common.body(req, schemas.CREATE_QOS)["qos_specs"])
        name = spec.pop("name")
        consumer = spec.pop("consumer", "back-end")
        row = qos.create(self.db, name, consumer, spec)
        resp.media = {"qos_specs": _view(row), "links": _links(self.base_url, req, row)}


class QosSpecs(_QosResource):
    def on_get(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:get")
        row = qos.show(self.db, qos_id)
        resp.media = {"qos_specs": _view(row), "links": _links(self.base_url, req, row)}

    def on_put(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:update")
        specs = common.body(req, schemas.UPDATE_QOS)["qos_specs"]
        resp.media = {"qos_specs": qos.set_keys(self.db, qos_id, specs)}

    def on_delete(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:delete")
        force = req.get_param("force", default="false")
        if force not in schemas.BOOL_STRINGS:
            raise errors.BadRequest(f"Invalid value '{force}' for force.")
        qos.delete(self.db, qos_id, force=schemas.to_bool(force))
        resp.status = falcon.HTTP_202


class QosDeleteKeys(_QosResource):
    def on_put(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:update")
        keys = common.body(req, schemas.QOS_DELETE_KEYS)["keys"]
        qos.unset_keys(self.db, qos_id, keys)
        resp.status = falcon.HTTP_202


class QosAssociations(_QosResource):
    def on_get(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:get")
        resp.media = {"qos_associations": [
            {"association_type": "volume_type", "name": row.name, "id": row.id}
            for row in qos.associations(self.db, qos_id)]}


class QosAssociate(_QosResource):
    def on_get(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:update")
        qos.associate(self.db, qos_id, _type_id(req))
        resp.status = falcon.HTTP_202


class QosDisassociate(_QosResource):
    def on_get(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:update")
        qos.disassociate(self.db, qos_id, _type_id(req))
        resp.status = falcon.HTTP_202


class QosDisassociateAll(_QosResource):
    def on_get(self, req, resp, qos_id):
        policy.authorize(req.context.auth, "volume_extension:qos_specs_manage:update")
        qos.disassociate_all(self.db, qos_id)
        resp.status = falcon.HTTP_202
