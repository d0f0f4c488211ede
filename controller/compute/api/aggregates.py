"""``/os-aggregates``: admins group compute hosts, give the groups metadata, and make
availability zones of them (the ``availability_zone`` of an aggregate)."""
from controller import policy
from controller.api import errors
from controller.compute import aggregates
from controller.compute.api import common
from controller.compute.operations import aggregates as aggregate_ops

ZONE = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[^:]*$"}
NULLABLE_ZONE = {"oneOf": [ZONE, {"type": "null"}]}
HOST = {"type": "string", "minLength": 1, "maxLength": 255}

CREATE = {
    "type": "object",
    "properties": {"aggregate": {
        "type": "object",
        "properties": {"name": common.NAME, "availability_zone": NULLABLE_ZONE},
        "required": ["name"], "additionalProperties": False}},
    "required": ["aggregate"], "additionalProperties": False,
}
UPDATE = {
    "type": "object",
    "properties": {"aggregate": {
        "type": "object",
        "properties": {"name": common.NAME, "availability_zone": NULLABLE_ZONE},
        "minProperties": 1, "additionalProperties": False}},
    "required": ["aggregate"], "additionalProperties": False,
}
_HOST_ARGUMENT = {"type": "object", "properties": {"host": HOST}, "required": ["host"],
                  "additionalProperties": False}
# action → schema of its argument
ACTIONS = {
    "add_host": _HOST_ARGUMENT,
    "remove_host": _HOST_ARGUMENT,
    "set_metadata": {
        "type": "object",
        "properties": {"metadata": {
            "type": "object",
            "patternProperties": {r"^[a-zA-Z0-9\-_:. /]{1,255}$": {
                "type": ["string", "null"], "maxLength": 255}},
            "additionalProperties": False}},
        "required": ["metadata"], "additionalProperties": False},
}
ONE_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}


def _time(value):
    return value.isoformat(timespec="microseconds") if value else None


def view(req, aggregate, members=True):
    """Nova's aggregate; ``members`` adds hosts and metadata (not in create's answer)."""
    body = {"id": aggregate.id, "name": aggregate.name,
            "availability_zone": aggregates.zone_of(aggregate),
            "created_at": _time(aggregate.created_at),
            "updated_at": _time(aggregate.updated_at),
            "deleted": False, "deleted_at": None}
    if members:
        body["hosts"] = [member.host for member in aggregate.hosts]
        body["metadata"] = aggregates.metadata_of(aggregate)
    if req.context.microversion >= (2, 41):
        body["uuid"] = aggregate.uuid
    return body


def _id(aggregate_id):
    """Aggregates are addressed by their integer id, even after 2.41 added a uuid; a
    negative one or one past the column's range names no aggregate (404, as in Nova,
    whose validate_integer sets no bounds here)."""
    number = common.to_int(aggregate_id, "id", minimum=-float("inf"), maximum=float("inf"))
    if not 0 <= number <= common.MAX_INT:
        raise aggregates.AggregateNotFound(f"Aggregate {aggregate_id} could not be found.")
    return number


class Aggregates:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-aggregates:index")
        resp.media = {"aggregates": [view(req, aggregate) for aggregate
                                     in aggregate_ops.list_aggregates(self.svc.db)]}

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-aggregates:create")
        spec = common.body(req, CREATE)["aggregate"]
        aggregate = aggregate_ops.create(self.svc.db, spec["name"],
                                         spec.get("availability_zone"))
        resp.media = {"aggregate": view(req, aggregate, members=False)}


class Aggregate:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, aggregate_id):
        policy.authorize(req.context.auth, "os_compute_api:os-aggregates:show")
        resp.media = {"aggregate": view(req, aggregate_ops.get(self.svc.db,
                                                               _id(aggregate_id)))}

    def on_put(self, req, resp, aggregate_id):
        policy.authorize(req.context.auth, "os_compute_api:os-aggregates:update")
        changes = common.body(req, UPDATE)["aggregate"]
        aggregate = aggregate_ops.update(self.svc.db, _id(aggregate_id), changes)
        resp.media = {"aggregate": view(req, aggregate)}

    def on_delete(self, req, resp, aggregate_id):
        policy.authorize(req.context.auth, "os_compute_api:os-aggregates:delete")
        aggregate_ops.delete(self.svc.db, _id(aggregate_id))


class AggregateAction:
    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp, aggregate_id):
        name, argument = next(iter(common.body(req, ONE_ACTION).items()))
        if name not in ACTIONS:
            raise errors.BadRequest(f"There is no such action: {name}")
        policy.authorize(req.context.auth, f"os_compute_api:os-aggregates:{name}")
        common.check(argument, ACTIONS[name], name)
        aggregate = aggregate_ops.act(self.svc.db, _id(aggregate_id), name, argument)
        resp.media = {"aggregate": view(req, aggregate)}
