"""``/v2/tasks``: Glance's tasks (the rules are in ``controller.image.tasks``)."""
import urllib.parse

import falcon

from controller.api import errors
from controller.image import tasks
from controller.image.api import common, metadef_common


class Tasks:
    def __init__(self, conf, image_tasks):
        self.conf = conf
        self.tasks = image_tasks

    def on_post(self, req, resp):
        body = common.read_object(req)
        for name in ("type", "input"):
            if name not in body:
                raise errors.BadRequest(f"Task '{name}' is required")
        unknown = set(body) - {"type", "input"}
        if unknown:
            raise errors.Forbidden(f"Attribute '{sorted(unknown)[0]}' is read-only.")
        if body["type"] not in tasks.TYPES:
            raise errors.BadRequest(f"Invalid type value: {body['type']}")
        if not isinstance(body["input"], dict):
            raise errors.BadRequest("Task 'input' must be an object.")
        task = self.tasks.create(req.context.auth, body["type"], body["input"])
        resp.status = falcon.HTTP_201
        resp.location = f"{req.prefix}{task['self']}"
        resp.media = task

    def on_get(self, req, resp):
        page = metadef_common.page(req, tasks.SORT_KEYS, self.conf.image.limit_param_default,
                                   self.conf.image.api_limit_max)
        filters = {}
        for name, choices in (("type", tasks.TYPES), ("status", tasks.STATUSES)):
            value = req.get_param(name)
            if value is not None:
                if value not in choices:
                    raise errors.BadRequest(f"Invalid {name} value: {value}")
                filters[name] = value
        found, next_marker = self.tasks.list(req.context.auth, page, filters)
        params = [(k, v) for k, v in urllib.parse.parse_qsl(req.query_string)
                  if k != "marker"]
        first = "/v2/tasks" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        body = {"tasks": found, "first": first, "schema": "/v2/schemas/tasks"}
        if next_marker is not None:
            body["next"] = "/v2/tasks?" + urllib.parse.urlencode(
                [*params, ("marker", next_marker)])
        resp.media = body


class Task:
    def __init__(self, conf, image_tasks):
        self.tasks = image_tasks

    def on_get(self, req, resp, task_id):
        resp.media = self.tasks.show(req.context.auth, task_id)

    def on_delete(self, req, resp, task_id):
        raise errors.MethodNotAllowed(
            "This operation is currently not permitted on Glance Tasks. They are auto "
            "deleted after reaching the time based on their expires_at property.",
            headers={"Allow": "GET"})
