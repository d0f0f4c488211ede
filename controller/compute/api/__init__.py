"""The compute API (Nova v2.1 subset) under ``/compute``: its routes, its error format
and its microversion and request-id headers."""
import uuid

import falcon

from agent.rpcapi import AgentAPI
from contract.exception import ComputeError
from controller.api import app as api_app
from controller.compute.api import security_groups
from controller.compute.api import (aggregates, availability_zones, common, flavors,
                                    floating_ips, hosts,
                                    hypervisors, images, instance_actions, keypairs, limits,
                                    microversion, migrations, networks, quota_class_sets,
                                    quota_sets, remote_consoles,
                                    server_actions, server_diagnostics,
                                    server_external_events, server_ips,
                                    server_groups, server_metadata, server_migrations,
                                    server_tags, servers, services,
                                    usage, usage_audit_log, versions,
                                    volume_attachments, volumes)
from controller.compute.image import ImageAPI
from controller.compute.network import NetworkAPI
from controller.compute.volume import VolumeAPI
from controller.conductor.rpcapi import ConductorAPI

# Nova's names for error bodies, by status: {"itemNotFound": {"code": 404, ...}}.
FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
               404: "itemNotFound", 405: "badMethod", 406: "notAcceptable",
               409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
               429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable"}


def error_body(status, message, error_type):
    return {FAULT_NAMES.get(status, "computeFault"): {"code": status, "message": message}}


class RequestIdMiddleware:
    """Every request gets an id, returned in Nova's headers and recorded with the
    server actions it causes (``openstack server event show <server> <request id>``)."""

    def process_request(self, req, resp):
        req.context.request_id = "req-" + str(uuid.uuid4())
        resp.set_header("X-Openstack-Request-Id", req.context.request_id)
        resp.set_header("X-Compute-Request-Id", req.context.request_id)


class ExactPathMiddleware:
    """Nova's routes match paths exactly: ``/os-volumes/`` (an empty id) finds no route
    (404) rather than the list. Only the version documents also answer with a trailing
    slash, where their own links lead clients (``/v2.1/``)."""

    def process_request(self, req, resp):
        path = req.env.get("PATH_INFO", "")
        if path.endswith("/") and path not in ("/", "/v2.1/"):
            raise falcon.HTTPNotFound(description="The resource could not be found.")


def _render_compute_error(req, resp, ex, params):
    resp.status = ex.code
    resp.media = error_body(ex.code, str(ex), type(ex).__name__)


def _render_method_not_allowed(req, resp, ex, params):
    """Nova routes by method too: a method a path does not serve finds no route (404),
    e.g. ``DELETE /images/`` with no id."""
    resp.status = 404
    resp.media = error_body(404, "The resource could not be found.", "HTTPNotFound")


def create_app(runtime):
    app = api_app.make_service_app(runtime, error_body, middleware=[
        ExactPathMiddleware(), RequestIdMiddleware(), microversion.MicroversionMiddleware()])
    app.add_error_handler(ComputeError, _render_compute_error)
    app.add_error_handler(falcon.HTTPMethodNotAllowed, _render_method_not_allowed)
    svc = common.Handles(runtime=runtime, image=ImageAPI(runtime),
                          network=NetworkAPI(runtime), conductor=ConductorAPI(),
                          agents=AgentAPI(), volume=VolumeAPI(runtime))
    routes = {
        "/": versions.Versions(),
        "/v2.1": versions.Version(),
        "/v2.1/servers": servers.Servers(svc),
        "/v2.1/servers/detail": servers.ServersDetail(svc),
        "/v2.1/servers/{server_id}": servers.Server(svc),
        "/v2.1/servers/{server_id}/action": server_actions.ServerAction(svc),
        "/v2.1/servers/{server_id}/remote-consoles":
            remote_consoles.RemoteConsolesResource(svc),
        "/v2.1/servers/{server_id}/tags": server_tags.Tags(svc),
        "/v2.1/servers/{server_id}/tags/{tag}": server_tags.Tag(svc),
        "/v2.1/servers/{server_id}/diagnostics": server_diagnostics.Diagnostics(svc),
        "/v2.1/servers/{server_id}/ips": server_ips.Ips(svc),
        "/v2.1/servers/{server_id}/ips/{network_label}": server_ips.NetworkIps(svc),
        "/v2.1/servers/{server_id}/metadata": server_metadata.Metadata(svc),
        "/v2.1/servers/{server_id}/migrations": server_migrations.ServerMigrations(svc),
        "/v2.1/servers/{server_id}/migrations/{migration_id}":
            server_migrations.ServerMigration(svc),
        "/v2.1/servers/{server_id}/migrations/{migration_id}/action":
            server_migrations.ServerMigrationAction(svc),
        "/v2.1/servers/{server_id}/metadata/{key}": server_metadata.MetadataItem(svc),
        "/v2.1/servers/{server_id}/os-instance-actions": instance_actions.Actions(svc),
        "/v2.1/servers/{server_id}/os-instance-actions/{request_id}":
            instance_actions.Action(svc),
        "/v2.1/servers/{server_id}/os-volume_attachments":
            volume_attachments.VolumeAttachments(svc),
        "/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}":
            volume_attachments.VolumeAttachment(svc),
        "/v2.1/flavors": flavors.Flavors(svc),
        "/v2.1/flavors/detail": flavors.FlavorsDetail(svc),
        "/v2.1/flavors/{flavor_id}": flavors.Flavor(svc),
        "/v2.1/flavors/{flavor_id}/os-extra_specs": flavors.ExtraSpecs(svc),
        "/v2.1/flavors/{flavor_id}/os-flavor-access": flavors.FlavorAccess(svc),
        "/v2.1/flavors/{flavor_id}/action": flavors.FlavorAction(svc),
        "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}": flavors.ExtraSpec(svc),
        "/v2.1/images": images.Images(svc),
        "/v2.1/images/detail": images.ImagesDetail(svc),
        "/v2.1/images/{image_id}": images.Image(svc),
        "/v2.1/images/{image_id}/metadata": images.Metadata(svc),
        "/v2.1/images/{image_id}/metadata/{key}": images.MetadataItem(svc),
        "/v2.1/os-keypairs": keypairs.KeyPairs(svc),
        "/v2.1/os-keypairs/{name}": keypairs.KeyPair(svc),
        "/v2.1/limits": limits.Limits(svc),
        "/v2.1/os-quota-class-sets/{class_name}": quota_class_sets.QuotaClassSet(svc),
        "/v2.1/os-quota-sets/{project_id}": quota_sets.QuotaSet(svc),
        "/v2.1/os-quota-sets/{project_id}/defaults": quota_sets.QuotaDefaults(svc),
        "/v2.1/os-quota-sets/{project_id}/detail": quota_sets.QuotaDetail(svc),
        "/v2.1/os-server-groups": server_groups.ServerGroups(svc),
        "/v2.1/os-server-groups/{group_id}": server_groups.ServerGroup(svc),
        "/v2.1/os-availability-zone": availability_zones.Zones(svc),
        "/v2.1/os-availability-zone/detail": availability_zones.ZonesDetail(svc),
        "/v2.1/os-services": services.Services(svc),
        "/v2.1/os-services/{service_id}": services.Service(svc),
        "/v2.1/os-networks": networks.Networks(svc),
        "/v2.1/os-networks/add": networks.NetworkAction(svc),
        "/v2.1/os-networks/{network_id}": networks.Network(svc),
        "/v2.1/os-networks/{network_id}/action": networks.NetworkAction(svc),
        "/v2.1/os-tenant-networks": networks.TenantNetworks(svc),
        "/v2.1/os-tenant-networks/{network_id}": networks.TenantNetwork(svc),
        "/v2.1/os-volumes": volumes.Volumes(svc),
        "/v2.1/os-volumes/detail": volumes.VolumesDetail(svc),
        "/v2.1/os-volumes/{volume_id}": volumes.Volume(svc),
        "/v2.1/os-snapshots": volumes.Snapshots(svc),
        "/v2.1/os-snapshots/detail": volumes.SnapshotsDetail(svc),
        "/v2.1/os-snapshots/{snapshot_id}": volumes.Snapshot(svc),
        "/v2.1/os-hosts": hosts.Hosts(svc),
        "/v2.1/os-hosts/{host_name}": hosts.Host(svc),
        "/v2.1/os-hosts/{host_name}/{action}": hosts.HostPowerAction(svc),
        "/v2.1/os-hypervisors": hypervisors.Hypervisors(svc),
        "/v2.1/os-hypervisors/detail": hypervisors.HypervisorsDetail(svc),
        "/v2.1/os-hypervisors/statistics": hypervisors.Statistics(svc),
        "/v2.1/os-hypervisors/{hypervisor_id}": hypervisors.Hypervisor(svc),
        "/v2.1/os-hypervisors/{hypervisor_id}/uptime": hypervisors.Uptime(svc),
        "/v2.1/os-hypervisors/{hypervisor_id}/search": hypervisors.HypervisorSearch(svc),
        "/v2.1/os-hypervisors/{hypervisor_id}/servers": hypervisors.HypervisorServers(svc),
        "/v2.1/os-aggregates": aggregates.Aggregates(svc),
        "/v2.1/os-aggregates/{aggregate_id}": aggregates.Aggregate(svc),
        "/v2.1/os-aggregates/{aggregate_id}/action": aggregates.AggregateAction(svc),
        "/v2.1/os-floating-ips": floating_ips.FloatingIps(svc),
        "/v2.1/os-floating-ips/{floating_ip_id}": floating_ips.FloatingIp(svc),
        "/v2.1/os-server-external-events":
            server_external_events.ServerExternalEvents(svc),
        "/v2.1/os-migrations": migrations.Migrations(svc),
        "/v2.1/os-instance_usage_audit_log": usage_audit_log.AuditLogs(svc),
        "/v2.1/os-instance_usage_audit_log/{before}": usage_audit_log.AuditLog(svc),
        "/v2.1/os-simple-tenant-usage": usage.Usages(svc),
        "/v2.1/os-simple-tenant-usage/{project_id}": usage.ProjectUsage(svc),
    }
    routes.update({path: resource(svc) for path, resource in security_groups.ROUTES.items()})
    for path, resource in routes.items():
        app.add_route(path, resource)
    return app
