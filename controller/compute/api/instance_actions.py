"""``/servers/{id}/os-instance-actions``: what was done to a server, step by step, with
each step's host and result (``openstack server event list/show``)."""
from sqlalchemy import select

from controller import policy
from controller.api import errors
from controller.compute import actions, models
from controller.compute.api import common, server_views


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


class _Base:
    def __init__(self, svc):
        self.svc = svc

    def _instance(self, session, req, server_id, action):
        """The server, deleted ones included: their history stays readable."""
        auth = req.context.auth
        instance = session.get(models.Instance, server_id)
        if instance is None or (instance.project_id != auth.project_id
                                and not auth.is_admin):
            raise errors.NotFound(f"Instance {server_id} could not be found.")
        policy.authorize(auth, action, {"project_id": instance.project_id})
        return instance


class Actions(_Base):
    def on_get(self, req, resp, server_id):
        with self.svc.db.session() as session:
            self._instance(session, req, server_id, "os_compute_api:os-instance-actions:list")
            entries = actions.list_for(session, server_id)
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page = common.paginate(entries, limit, marker, lambda e: e.request_id)
        resp.media = {"instanceActions": [_action(req, e) for e in page]}
        more = common.next_link(req, f"/servers/{server_id}/os-instance-actions", page,
                                limit, lambda e: e.request_id)
        if more and req.context.microversion >= (2, 58):
            resp.media["links"] = more


class Action(_Base):
    def on_get(self, req, resp, server_id, request_id):
        auth = req.context.auth
        with self.svc.db.session() as session:
            instance = self._instance(session, req, server_id,
                                      "os_compute_api:os-instance-actions:show")
            entry = session.scalars(select(models.InstanceAction).where(
                models.InstanceAction.instance_uuid == server_id,
                models.InstanceAction.request_id == request_id)).first()
            if entry is None:
                raise errors.NotFound(f"Action for request_id {request_id} on instance "
                                      f"{server_id} not found")
            events = list(entry.events)
        body = _action(req, entry)
        show_details = policy.allowed(auth, "os_compute_api:os-instance-actions:events:details",
                                      {"project_id": instance.project_id})
        if show_details or req.context.microversion >= (2, 51):
            body["events"] = [_event(req, event, instance.project_id, show_details)
                              for event in events]
        resp.media = {"instanceAction": body}
