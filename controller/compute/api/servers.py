"""``/servers``: create, list (with filters and pages), show, rename and delete servers."""
import falcon
from oslo_utils import timeutils

from controller import policy
from controller.api import errors
from controller.compute import name_filter, states
from controller.compute.api import common, security_groups, server_views
from controller.compute.operations import servers
from controller.db.base import utcnow
from controller.scheduler import placement

_NETWORKS = {"oneOf": [
    {"type": "string", "enum": ["none", "auto"]},
    {"type": "array", "items": {
        "type": "object",
        "properties": {"uuid": {"type": "string", "format": "uuid"},
                       "port": {"type": ["string", "null"]},
                       "fixed_ip": {"type": "string"},
                       "tag": {"type": "string", "maxLength": 60}},
        "additionalProperties": False}}]}

_BLOCK_DEVICE = {"type": "object", "properties": {
    "uuid": common.UUID_OR_NAME, "boot_index": {"type": ["integer", "string", "null"]},
    "source_type": {"type": "string", "enum": ["image", "volume", "snapshot", "blank"]},
    "destination_type": {"type": "string", "enum": ["local", "volume"]},
    "delete_on_termination": common.BOOLEAN, "volume_size": common.NON_NEGATIVE_INT,
    "device_name": {"type": "string"}, "tag": {"type": "string"},
    "guest_format": {"type": "string"}, "disk_bus": {"type": "string"},
    "device_type": {"type": "string"}, "volume_type": {"type": ["string", "null"]}},
    "additionalProperties": False}

CREATE = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": common.NAME,
                "imageRef": {"type": "string"},
                "flavorRef": {"type": ["string", "integer"], "minLength": 1},
                "adminPass": {"type": "string"},
                "metadata": common.METADATA,
                "networks": _NETWORKS,
                "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                "accessIPv4": {"type": "string"},
                "accessIPv6": {"type": "string"},
                "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
                "user_data": {"type": "string"},
                "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
                "block_device_mapping_v2": {"type": "array", "items": _BLOCK_DEVICE},
                "min_count": common.POSITIVE_INT,
                "max_count": common.POSITIVE_INT,
                "return_reservation_id": common.BOOLEAN,
                "security_groups": {"type": "array", "items": {
                    "type": "object", "properties": {"name": {"type": "string"}},
                    "required": ["name"], "additionalProperties": False}},
                "config_drive": common.BOOLEAN,
                "description": common.DESCRIPTION,
                "tags": {"type": "array", "maxItems": 0},
                "trusted_image_certificates": {"type": ["array", "null"], "maxItems": 0},
                "host": {"type": "string", "minLength": 1, "maxLength": 255},
                "hypervisor_hostname": {"type": "string", "minLength": 1,
                                        "maxLength": 255},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": {"type": "object"},
        "OS-SCH-HNT:scheduler_hints": {"type": "object"},
    },
    "required": ["server"],
    "additionalProperties": False,
}

UPDATE = {
    "type": "object",
    "properties": {"server": {
        "type": "object",
        "properties": {"name": common.NAME, "description": common.DESCRIPTION,
                       "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                       "accessIPv4": {"type": "string"}, "accessIPv6": {"type": "string"}},
        "additionalProperties": False}},
    "required": ["server"],
    "additionalProperties": False,
}

# Create fields that exist only from (or only before) a microversion.
_FIELDS_FROM = {"description": (2, 19), "tags": (2, 52), "trusted_image_certificates": (2, 63),
                "host": (2, 74), "hypervisor_hostname": (2, 74)}


def _check_version_fields(server, version):
    for field, since in _FIELDS_FROM.items():
        if field in server and version < since:
            raise errors.BadRequest(
                f"Invalid input for field/attribute server. Additional properties are not "
                f"allowed ('{field}' was unexpected)")
    if version >= (2, 37) and "networks" not in server:
        raise errors.BadRequest("Invalid input for field/attribute server. "
                                "'networks' is a required property")


def _time_filter(params, name):
    """A time query parameter as naive UTC, or Nova's 400 for one not ISO 8601."""
    value = params[name]
    try:
        moment = timeutils.parse_isotime(value)
    except ValueError:
        raise errors.BadRequest(f"Invalid input for query parameters {name}. Value: "
                                f"{value}. '{value}' is not a 'date-time'") from None
    return timeutils.normalize_time(moment)


def shows_host_status(auth, version):
    """Whether servers show their ``host_status``: for admins, from 2.16."""
    return version >= (2, 16) and policy.allowed(
        auth, "os_compute_api:servers:show:host_status", {"project_id": auth.project_id})


def host_states(svc, services):
    """host → host_status of the agent ``services``; None (the field is left out) when
    they were not asked for."""
    if services is None:
        return None
    now = utcnow()
    down_after = svc.conf.scheduler.service_down_time
    return {service.host: server_views.host_status(
        lambda s: placement.is_up(s, now, down_after), service) for service in services}


def fixed_addresses(instance, version):
    """The server's fixed addresses of IP ``version``."""
    return [ip["address"] for vif in instance.network_info or []
            for subnet in vif["network"].get("subnets", [])
            for ip in subnet.get("ips", []) if ip["version"] == version]


TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def tags_match(params, tags):
    """Nova's tag filters (2.26): ``tags`` (all of), ``tags-any``, ``not-tags`` (not all
    of), ``not-tags-any`` (none of), each a comma-separated list."""
    def wanted(name):
        value = params.get(name)
        if isinstance(value, list):
            value = ",".join(value)
        return {tag for tag in value.split(",") if tag} if value else None

    every, some, not_every, none_of = (wanted(name) for name in TAG_FILTERS)
    return ((every is None or every <= tags) and (some is None or some & tags)
            and (not_every is None or not not_every <= tags)
            and (none_of is None or not none_of & tags))


class _ServerList:
    """The listing shared by ``/servers`` and ``/servers/detail``."""

    def __init__(self, svc):
        self.svc = svc

    def _filtered(self, req, auth, with_services, limit, marker):
        """The page (``limit``, ``marker``) of the servers the request's filters select,
        and the agent services when ``with_services`` (for their host_status). Without
        a filter applied here (name, ip, tags) the database reads only the page."""
        params = req.params
        all_tenants = "all_tenants" in params and (params["all_tenants"] in ("", None)
                                                   or common.to_bool(params["all_tenants"]))
        filters = {}
        if all_tenants:
            policy.authorize(auth, "os_compute_api:servers:index:get_all_tenants")
            project = params.get("project_id") or params.get("tenant_id")
            filters["project_id"] = project or None
        else:
            filters["project_id"] = auth.project_id
        if params.get("status"):
            vm_state = states.VM_STATES_BY_STATUS.get(params["status"].upper())
            if vm_state is None:
                return common.paginate([], limit, marker, lambda i: i.uuid), None
            filters["vm_state"] = vm_state
        if params.get("host") and policy.allowed(
                auth, "os_compute_api:servers:allow_all_filters", {}):
            filters["host"] = params["host"]
        if params.get("flavor"):
            filters["flavor_id"] = params["flavor"]
        if params.get("image"):
            filters["image_ref"] = params["image"].rstrip("/").rsplit("/", 1)[-1]
        if params.get("reservation_id"):
            filters["reservation_id"] = params["reservation_id"]
        if "changes-since" in params:
            filters["changes_since"] = _time_filter(params, "changes-since")
        tags = req.context.microversion >= (2, 26) and any(
            params.get(name) for name in TAG_FILTERS)
        if not (tags or any(params.get(name) for name in ("name", "ip", "ip6"))):
            return servers.ServerOperations(self.svc).list_servers(
                with_services=with_services, limit=limit, marker=marker, **filters)
        found, services = servers.ServerOperations(self.svc).list_servers(
            with_services=with_services, **filters)
        if params.get("name"):
            found = name_filter.matching(params["name"], found, lambda i: i.name)
        for param, version in (("ip", 4), ("ip6", 6)):
            if params.get(param):
                found = name_filter.addresses_matching(
                    params[param], found, lambda i, v=version: fixed_addresses(i, v))
        if tags:
            found = [i for i in found if tags_match(params, {t.tag for t in i.tags})]
        return common.paginate(found, limit, marker, lambda i: i.uuid), services

    def list(self, req, auth, detail, path):
        policy.authorize(auth, "os_compute_api:servers:detail" if detail
                         else "os_compute_api:servers:index")
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page, services = self._filtered(
            req, auth, detail and shows_host_status(auth, req.context.microversion),
            limit, marker)
        if detail:
            hosts = host_states(self.svc, services)
            groups = security_groups.names_of_servers(self.svc, auth, page)
            body = {"servers": [server_views.detail(req, i, auth, hosts,
                                                    security_groups=groups.get(i.uuid))
                                for i in page]}
        else:
            body = {"servers": [server_views.summary(req, i) for i in page]}
        more = common.next_link(req, path, page, limit, lambda i: i.uuid)
        if more:
            body["servers_links"] = more
        return body


class Servers(_ServerList):
    def on_get(self, req, resp):
        resp.media = self.list(req, req.context.auth, False, "/servers")

    def on_post(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:servers:create")
        document = common.body(req, CREATE)
        server = document["server"]
        _check_version_fields(server, req.context.microversion)
        common.check_access_ips(server)
        server["config_drive"] = common.to_bool(server.get("config_drive", False))
        hints = (document.get("os:scheduler_hints")
                 or document.get("OS-SCH-HNT:scheduler_hints") or {})
        created, reservation_id = servers.ServerOperations(self.svc).create(
            auth, req.context, server, hints)
        resp.status = falcon.HTTP_202
        if common.to_bool(server.get("return_reservation_id", False)):
            resp.media = {"reservation_id": reservation_id}
            return
        first = created[0]
        resp.location = common.url(req, f"/servers/{first.uuid}")
        answer = {"id": first.uuid,
                  "OS-DCF:diskConfig": server_views.disk_config(first),
                  "links": common.links(req, f"/servers/{first.uuid}"),
                  "security_groups": server.get("security_groups") or [{"name": "default"}]}
        password = common.admin_password(server, self.svc.conf)
        if password is not None:
            answer["adminPass"] = password
        resp.media = {"server": answer}


class ServersDetail(_ServerList):
    def on_get(self, req, resp):
        resp.media = self.list(req, req.context.auth, True, "/servers/detail")


class Server:
    def __init__(self, svc):
        self.svc = svc

    def _view(self, req, auth, shown):
        instance, groups, services = shown
        names = security_groups.names_of_servers(self.svc, auth, [instance])
        return {"server": server_views.detail(req, instance, auth,
                                              host_states(self.svc, services), groups,
                                              names.get(instance.uuid))}

    def _update_view(self, req, auth, shown):
        """An update answers with the server's base view until 2.75, then as a show."""
        if req.context.microversion >= (2, 75):
            return self._view(req, auth, shown)
        return {"server": server_views.base(req, shown[0])}

    def on_get(self, req, resp, server_id):
        auth = req.context.auth
        resp.media = self._view(req, auth, servers.ServerOperations(self.svc).show(
            auth, server_id, common.authorizer(auth, "os_compute_api:servers:show"),
            shows_host_status(auth, req.context.microversion)))

    def on_put(self, req, resp, server_id):
        auth = req.context.auth
        server = common.body(req, UPDATE)["server"]
        if "description" in server and req.context.microversion < (2, 19):
            raise errors.BadRequest("Invalid input for field/attribute server. Additional "
                                    "properties are not allowed ('description' was "
                                    "unexpected)")
        common.check_access_ips(server)
        resp.media = self._update_view(req, auth, servers.ServerOperations(self.svc).update(
            auth, server_id, server, common.authorizer(auth, "os_compute_api:servers:update"),
            common.authorizer(auth, "os_compute_api:servers:show"),
            shows_host_status(auth, req.context.microversion)))

    def on_delete(self, req, resp, server_id):
        auth = req.context.auth
        servers.ServerOperations(self.svc).delete(
            auth, req.context.request_id, server_id,
            common.authorizer(auth, "os_compute_api:servers:delete"))
        resp.status = falcon.HTTP_204
