"""What users do with servers as a whole — create, list, show, rename, delete — with
every rule checked before anything is written, and the work handed to the conductor or
the server's agent. HTTP lives in ``api/``; this module knows nothing of it.

Operations that act on one server take ``authorize``: the handler's policy check, called
with the policy target (the server's project) once the server is found, inside the
operation's transaction."""
import base64
import binascii
import logging
import re
import uuid

import oslo_messaging as messaging
import sqlalchemy
from sqlalchemy import select

from contract import exception
from controller import policy
from controller.api import errors
from controller.compute import (actions, aggregates, block_devices, flavors, instances,
                                models, moves, quota, states)
from controller.compute.security_groups import SecurityGroupAPI
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, placement

LOG = logging.getLogger(__name__)

MAX_USER_DATA_BYTES = 65535


def hostname_for(name):
    """A valid hostname from a display name, as Nova sanitises it."""
    hostname = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip(".-")
    return hostname[:63].rstrip("-") or "server"


def user_data_of(server):
    data = server.get("user_data")
    if data is None:
        return None
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise exception.InvalidRequest("User data needs to be valid base 64.") from None
    if len(decoded) > MAX_USER_DATA_BYTES:
        raise exception.InvalidRequest(
            f"User data is too large: {len(decoded)} bytes, at most {MAX_USER_DATA_BYTES}.")
    return data


def agent_is_up(db, conf, host, now=None):
    """Whether the agent of ``host`` heartbeats and is not forced down."""
    services = placement.list_services(db, binary=AGENT_BINARY, host=host)
    return bool(services) and placement.is_up(services[0], now or utcnow(),
                                              conf.scheduler.service_down_time)


def visible(session, auth, instance_uuid, lock=False):
    """The server if the caller may see it: their project's, or any for admins.
    Others' servers do not exist as far as the caller can tell (404)."""
    try:
        instance = instances.get(session, instance_uuid, lock=lock)
    except exception.InstanceNotFound:
        instance = None
    if instance is None or (instance.project_id != auth.project_id and not auth.is_admin):
        raise exception.InstanceNotFound(f"Instance {instance_uuid} could not be found.")
    return instance


def authorized(session, auth, instance_uuid, authorize, lock=False):
    """The visible server, once ``authorize`` allowed acting on it."""
    instance = visible(session, auth, instance_uuid, lock=lock)
    authorize({"project_id": instance.project_id})
    return instance


def public_key_of(session, auth, key_name):
    """The public key of the caller's key pair ``key_name`` (400 if there is none)."""
    if not key_name:
        return None
    keypair = session.scalars(select(models.KeyPair).where(
        models.KeyPair.user_id == auth.user_id, models.KeyPair.name == key_name)).first()
    if keypair is None:
        raise exception.InvalidRequest("Invalid key_name provided.")
    return keypair.public_key


def apply_changes(instance, changes):
    """The fields an update or a rebuild may change, from the request's names."""
    for field, column in (("name", "name"), ("description", "description"),
                          ("accessIPv4", "access_ip_v4"), ("accessIPv6", "access_ip_v6")):
        if field in changes:
            setattr(instance, column, changes[field])
    if "OS-DCF:diskConfig" in changes:
        instance.auto_disk_config = changes["OS-DCF:diskConfig"] == "AUTO"


def _after(session, query, marker):
    """``query`` (newest first) narrowed to the servers after ``marker``, which must be
    one of its servers."""
    found = session.execute(query.with_only_columns(
        models.Instance.created_at, models.Instance.uuid).where(
            models.Instance.uuid == marker)).first()
    if found is None:
        raise errors.BadRequest(f"marker [{marker}] not found")
    created_at, uuid_ = found
    return query.where(sqlalchemy.or_(
        models.Instance.created_at < created_at,
        sqlalchemy.and_(models.Instance.created_at == created_at,
                        models.Instance.uuid < uuid_)))


class ServerOperations:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, image, network, RPC)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    # --- create ---------------------------------------------------------------------------

    def _zone_and_host(self, auth, requested_zone, requested_host):
        """The zone the server must land in and, for admins, a host it must land on
        (``zone:host`` or microversion 2.74's ``host``)."""
        zone, host = requested_zone, requested_host
        if zone and ":" in zone:
            zone, _, host = zone.partition(":")
            host = host.partition(":")[0] or None
            zone = zone or None
        if host:
            policy.authorize(auth, "os_compute_api:servers:create:forced_host")
            if not placement.list_services(self.db, binary=AGENT_BINARY, host=host):
                raise exception.InvalidRequest(f"Compute host {host} could not be found.")
        if zone and zone not in aggregates.availability_zones(
                self.db, self.conf.compute.default_availability_zone):
            raise exception.InvalidRequest(
                "The requested availability zone is not available")
        return zone, host

    def _instance_group(self, session, auth, hints, count):
        group_uuid = hints.get("group")
        if not group_uuid:
            return None
        group = session.get(models.ServerGroup, group_uuid)
        if group is None or (group.project_id != auth.project_id and not auth.is_admin):
            raise exception.InvalidRequest(f"Server group {group_uuid} could not be found.")
        limit = quota.limits(session, self.conf, auth.project_id)["server_group_members"]
        if limit != quota.UNLIMITED and len(group.members) + count > limit:
            raise quota.QuotaExceeded("server_group_members", count, len(group.members),
                                      limit)
        hosts = sorted({row.host for row in session.scalars(
            select(models.Instance).where(
                models.Instance.uuid.in_([m.instance_uuid for m in group.members]),
                models.Instance.deleted_at.is_(None))) if row.host})
        return {"uuid": group.uuid, "policy": group.policy, "hosts": hosts}

    def _count_within_quota(self, session, auth, min_count, max_count, flavor):
        """The most servers in [min_count, max_count] the quota allows (Nova's rule);
        QuotaExceeded if not even ``min_count`` fit."""
        for count in range(max_count, min_count - 1, -1):
            try:
                quota.check_servers(session, self.conf, auth.project_id,
                                    quota.server_request(count, flavor.vcpus,
                                                         flavor.memory_mb),
                                    user_id=auth.user_id)
                return count
            except quota.QuotaExceeded:
                if count == min_count:
                    raise
        return min_count

    def create(self, auth, context, server, hints):
        """Record the servers a create request asks for and start their builds.
        ``context``: the request's (its id, when it arrived and was authenticated);
        ``server`` is the validated request body's server, ``hints`` its scheduler
        hints. Returns (instances, reservation_id)."""
        request_id = context.request_id
        disks = block_devices.plan(server)
        user_data = user_data_of(server)
        metadata = server.get("metadata") or {}
        requested_networks = server.get("networks", "auto")
        # Each host has one hypervisor named after it, so a hypervisor is a host here.
        zone, force_host = self._zone_and_host(
            auth, server.get("availability_zone"),
            server.get("host") or server.get("hypervisor_hostname"))
        with self.db.session() as session:
            flavor = flavors.get_for_boot(session, server["flavorRef"], auth)
            flavor_snapshot = flavors.snapshot(flavor)
            metadata_limit = quota.limits(session, self.conf,
                                          auth.project_id)["metadata_items"]
            if metadata_limit != quota.UNLIMITED and len(metadata) > metadata_limit:
                raise quota.QuotaExceeded("metadata_items", len(metadata), 0, metadata_limit)
            key_data = public_key_of(session, auth, server.get("key_name"))
        if disks.root_volume_id:
            image_meta = block_devices.volume_image_meta(
                self.handles.volume.get_bootable(auth.token, disks.root_volume_id))
        else:
            image_meta = self.handles.image.get_active(auth.token, disks.image_id)
        block_devices.check_image_fits(flavor, image_meta, disks)
        networks = self.handles.network.resolve(auth.token, auth.project_id,
                                                 requested_networks)
        group_ids = SecurityGroupAPI(self.handles.network).resolve(
            auth.token, auth.project_id, server.get("security_groups"))
        for entry in networks:
            if group_ids and "port_id" not in entry:
                entry["security_groups"] = group_ids
        min_count = int(server.get("min_count", 1))
        max_count = int(server.get("max_count", min_count))
        if min_count > max_count:
            raise exception.InvalidRequest("min_count must be <= max_count")
        if max_count > self.conf.compute.max_count:
            raise exception.InvalidRequest(
                f"max_count may be at most {self.conf.compute.max_count}.")
        if disks.root_volume_id and max_count > 1:
            raise exception.InvalidRequest("A volume can boot only one server; ask for one "
                                           "server (max_count 1) per volume.")
        reservation_id = "r-" + uuid.uuid4().hex[:8]
        ctxt = auth.rpc_context(request_id)
        request_spec = {
            "project_id": auth.project_id, "user_id": auth.user_id,
            # A volume-backed server takes no local root disk from its host.
            "flavor": (dict(flavor_snapshot, root_gb=0) if disks.volume_backed
                       else flavor_snapshot),
            "image": {"id": image_meta.get("id"), "properties": image_meta["properties"]},
            "availability_zone": zone, "scheduler_hints": hints,
            "instance_group": None, "ignore_hosts": [], "force_host": force_host}
        with self.db.session() as session:
            group = self._instance_group(session, auth, hints, max_count)
            request_spec["instance_group"] = group
            count = self._count_within_quota(session, auth, min_count, max_count, flavor)
            created = []
            for index in range(count):
                name = server["name"] if count == 1 else f"{server['name']}-{index + 1}"
                instance_uuid = str(uuid.uuid4())
                instance = models.Instance(
                    uuid=instance_uuid, name=name, hostname=hostname_for(name),
                    description=server.get("description"), project_id=auth.project_id,
                    user_id=auth.user_id,
                    image_ref="" if disks.volume_backed else disks.image_id,
                    image_meta=image_meta,
                    flavor_id=flavor.id, flavor=flavor_snapshot, vcpus=flavor.vcpus,
                    memory_mb=flavor.memory_mb, root_gb=flavor.root_gb,
                    ephemeral_gb=flavor.ephemeral_gb, vm_state=states.BUILDING,
                    task_state=states.SCHEDULING, power_state=0,
                    availability_zone=zone, key_name=server.get("key_name"),
                    key_data=key_data, user_data=user_data,
                    access_ip_v4=server.get("accessIPv4"),
                    access_ip_v6=server.get("accessIPv6"),
                    auto_disk_config=server.get("OS-DCF:diskConfig") == "AUTO",
                    config_drive=server.get("config_drive", False),
                    requested_networks=networks, network_info=[],
                    request_spec=dict(request_spec, instance_uuid=instance_uuid,
                                      num_instances=1),
                    # A build lost on its way can be sent again for the user.
                    retry={instances.BUILD_CONTEXT: ctxt.to_dict()},
                    reservation_id=reservation_id, launch_index=index,
                    block_device_mappings=disks.rows(),
                    metadata_items=[models.InstanceMetadata(key=k, value=v)
                                    for k, v in metadata.items()])
                session.add(instance)
                if group is not None:
                    session.add(models.ServerGroupMember(group_uuid=group["uuid"],
                                                         instance_uuid=instance.uuid))
                actions.record(session, instance.uuid, actions.CREATE, request_id,
                               auth.user_id, auth.project_id)
                self._record_api_steps(session, instance.uuid, context)
                created.append(instance)
        uuids = [instance.uuid for instance in created]
        self._recheck_quota(auth, uuids, count, flavor)
        try:
            self.handles.conductor.build_instances(
                ctxt, uuids, dict(request_spec, instance_uuid=uuids[0],
                                  num_instances=count))
        except messaging.MessageDeliveryFailure:
            # Recorded with their request's context: the conductor's check of stuck
            # builds sends them once the bus is back (controller.conductor.recovery).
            LOG.warning("Message bus unreachable: the build of %s waits for the "
                        "conductor's check of stuck builds", ", ".join(uuids))
        return created, reservation_id

    def _record_api_steps(self, session, instance_uuid, context):
        """The API's own share of a new server's build, for its trace: validating the
        token, then checking and recording the request. Recorded with the server, in
        its transaction: a transaction of its own after handing the build on would
        compete with the build it just started."""
        actions.add_finished_event(session, instance_uuid, context.request_id,
                                   actions.API_AUTH_EVENT, self.conf.host,
                                   context.received_at, context.authenticated_at)
        actions.add_finished_event(session, instance_uuid, context.request_id,
                                   actions.API_CREATE_EVENT, self.conf.host,
                                   context.authenticated_at, utcnow())

    def _recheck_quota(self, auth, uuids, count, flavor):
        try:
            with self.db.session() as session:
                quota.recheck_servers(session, self.conf, auth.project_id,
                                      quota.server_request(count, flavor.vcpus,
                                                           flavor.memory_mb),
                                      user_id=auth.user_id)
        except quota.QuotaExceeded:
            with self.db.session() as session:
                for instance in session.scalars(select(models.Instance).where(
                        models.Instance.uuid.in_(uuids))):
                    session.delete(instance)
                session.execute(models.ServerGroupMember.__table__.delete().where(
                    models.ServerGroupMember.instance_uuid.in_(uuids)))
            raise

    # --- read and rename -----------------------------------------------------------------

    def list_servers(self, project_id=None, vm_state=None, host=None, flavor_id=None,
                     image_ref=None, reservation_id=None, with_services=False,
                     changes_since=None, limit=None, marker=None):
        """Servers not deleted, newest first, matching every filter given (None: any;
        ``project_id`` None: every project's). ``changes_since``: only servers changed
        since then, the deleted ones included (Nova's rule). ``limit`` and ``marker``:
        one page, read as such from the database (a project of 10,000 servers is not
        loaded for each page); a marker that is not among the matching servers is a 400,
        as in Nova. Returns (servers, agent services or None): the services when
        ``with_services``, for the servers' ``host_status``."""
        query = select(models.Instance)
        if changes_since is None:
            query = query.where(models.Instance.deleted_at.is_(None))
        else:
            changed = sqlalchemy.func.coalesce(models.Instance.updated_at,
                                               models.Instance.created_at)
            query = query.where(changed >= changes_since)
        for column, value in ((models.Instance.project_id, project_id),
                              (models.Instance.vm_state, vm_state),
                              (models.Instance.host, host),
                              (models.Instance.flavor_id, flavor_id),
                              (models.Instance.image_ref, image_ref),
                              (models.Instance.reservation_id, reservation_id)):
            if value is not None:
                query = query.where(column == value)
        with self.db.session() as session:
            if marker is not None:
                query = _after(session, query, marker)
            query = query.order_by(models.Instance.created_at.desc(),
                                   models.Instance.uuid.desc())
            if limit is not None:
                query = query.limit(limit)
            found = list(session.scalars(query))
        return found, self._agent_services(found) if with_services else None

    def _agent_services(self, instances):
        """The agent services of the ``instances``' hosts (not every host's: a page of
        servers has a few)."""
        return placement.list_services(self.db, binary=AGENT_BINARY, hosts={
            instance.host for instance in instances if instance.host})

    def show(self, auth, instance_uuid, authorize, with_services=False):
        """(server, uuids of its server groups, agent services or None)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            groups = list(session.scalars(
                select(models.ServerGroupMember.group_uuid).where(
                    models.ServerGroupMember.instance_uuid == instance.uuid)))
        return instance, groups, self._agent_services([instance]) if with_services else None

    def update(self, auth, instance_uuid, changes, authorize, show_authorize,
               with_services=False):
        """Rename, re-describe or re-address the server (``changes``: ``name``,
        ``description``, ``accessIPv4``, ``accessIPv6``, ``OS-DCF:diskConfig``); returns
        it as ``show`` does, checked against ``show_authorize``."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            apply_changes(instance, changes)
        return self.show(auth, instance_uuid, show_authorize, with_services)

    # --- delete ---------------------------------------------------------------------------

    def delete(self, auth, request_id, instance_uuid, authorize, action="delete"):
        """Delete a server: through its agent if it has a live one, else right here.
        ``action``: "delete", or "forceDelete"."""
        with self.db.session() as session:
            host = authorized(session, auth, instance_uuid, authorize).host
        host_up = bool(host) and agent_is_up(self.db, self.conf, host)
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            deleting = states.check_action(action, instance, auth.is_admin)
            actions.record(session, instance.uuid, actions.DELETE, request_id,
                           auth.user_id, auth.project_id)
            unconfirmed_move = moves.confirm_on_delete(session, instance)
            shelved_image = (instance.shelved_image_id if instance.vm_state in (
                states.SHELVED, states.SHELVED_OFFLOADED) else None)
            host = instance.host if host_up or instance.host != host else None
            if host:
                # The agent destroys the guest, then tells the conductor it is gone.
                instance.task_state = deleting
                local = False
            else:
                # Never placed, or its host is down: nothing to destroy that we can reach.
                network_info = instance.network_info
                volumes = [(bdm.volume_id, bdm.attachment_id, bdm.delete_on_termination)
                           for bdm in instance.block_device_mappings if bdm.volume_id]
                instances.mark_deleted(session, instance)
                local = True
        if shelved_image:
            try:
                self.handles.image.delete(auth.token, shelved_image)
            except exception.ComputeError:
                LOG.exception("Deleting the shelved image of %s failed", instance.uuid)
        if unconfirmed_move is not None:
            source, migration_uuid = unconfirmed_move
            self.handles.agents.confirm_resize(auth.rpc_context(request_id), source,
                                               instance.uuid, migration_uuid)
        if local:
            placement.release(self.db, instance.uuid)
            if network_info:
                try:
                    self.handles.network.deallocate(auth.token, network_info)
                except exception.ComputeError:
                    LOG.exception("Deleting the ports of %s failed", instance.uuid)
            self.handles.volume.release(auth.token, volumes)
            return
        self.handles.agents.terminate_instance(auth.rpc_context(request_id), host,
                                                instance.uuid)
