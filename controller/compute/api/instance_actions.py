"""``/servers/{id}/os-instance-actions``: what was done to a server, step by step, with
each step's host and result (``openstack server event list/show``)."""
from controller import policy
from controller.compute import actions
from controller.compute.api import common, server_views
from controller.compute.operations import instance_actions


def _time(value):
    return value.isoformat(timespec="microseconds") if value else None


def _action(req, entry):
    body = {"action": entry.action, "instance_uuid": entry.instance_uuid,
            "request_id": entry.request_id, "user_id": entry.user_id,
            "project_id": entry.project_id, "start_time": _time(entry.start_time),
            "message": entry.message}
    if req.context.microversion >= (2, 58):
        body["updated_at"] = _time(entry.updated_at)
    return body


def _event(req, event, project_id, show_details):
    body = {"event": event.event, "start_time": _time(event.start_time),
            "finish_time": _time(event.finish_time), "result": event.result}
    version = req.context.microversion
    if show_details:
        body["traceback"] = event.details if event.result == actions.ERROR else None
        if version >= (2, 62):
            body["host"] = event.host
    if version >= (2, 62):
        body["hostId"] = server_views.host_id(project_id, event.host)
    return body


class Actions:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id):
        auth = req.context.auth
        entries = instance_actions.list_actions(
            self.svc.db, auth, server_id,
            common.authorizer(auth, "os_compute_api:os-instance-actions:list"))
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page = common.paginate(entries, limit, marker, lambda e: e.request_id)
        resp.media = {"instanceActions": [_action(req, e) for e in page]}
        more = common.next_link(req, f"/servers/{server_id}/os-instance-actions", page,
                                limit, lambda e: e.request_id)
        if more and req.context.microversion >= (2, 58):
            resp.media["links"] = more


class Action:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id, request_id):
        auth = req.context.auth
        entry, events, project_id = instance_actions.get_action(
            self.svc.db, auth, server_id, request_id,
            common.authorizer(auth, "os_compute_api:os-instance-actions:show"))
        body = _action(req, entry)
        show_details = policy.allowed(auth, "os_compute_api:os-instance-actions:events:details",
                                      {"project_id": project_id})
        if show_details or req.context.microversion >= (2, 51):
            body["events"] = [_event(req, event, project_id, show_details)
                              for event in events]
        resp.media = {"instanceAction": body}
