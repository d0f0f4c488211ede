"""What users can do to servers — create, delete, power actions, lock, read the console —
with every rule checked before anything is written, and the work handed to the conductor
or the server's agent. HTTP lives in ``api/``; this module knows nothing of it."""
import base64
import binascii
import logging
import re
import uuid

import oslo_messaging as messaging
from sqlalchemy import select

from controller import policy
from controller.compute import (actions, aggregates, block_devices, exception, flavors,
                                instances, models, quota, snapshots, states)
import controller.compute.conf  # noqa: F401  (registers [compute] and [quota])
from controller.compute.security_groups import SecurityGroupAPI
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, placement
import controller.scheduler.conf  # noqa: F401  (registers [scheduler])

LOG = logging.getLogger(__name__)

MAX_USER_DATA_BYTES = 65535
GROUP_POLICIES = ("affinity", "anti-affinity")
# power action → the agent's method that carries it out
AGENT_METHODS = {"stop": "stop_instance", "start": "start_instance",
                 "pause": "pause_instance", "unpause": "unpause_instance",
                 "suspend": "suspend_instance", "resume": "resume_instance"}


def hostname_for(name):
    """A valid hostname from a display name, as Nova sanitises it."""
    hostname = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip(".-")
    return hostname[:63].rstrip("-") or "server"


def _user_data(server):
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

    def _key_data(self, session, auth, key_name):
        if not key_name:
            return None
        keypair = session.scalars(select(models.KeyPair).where(
            models.KeyPair.user_id == auth.user_id, models.KeyPair.name == key_name)).first()
        if keypair is None:
            raise exception.InvalidRequest("Invalid key_name provided.")
        return keypair.public_key

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
        limits = quota.limits(session, self.conf, auth.project_id)
        used = quota.server_usage(session, auth.project_id)
        for count in range(max_count, min_count - 1, -1):
            try:
                quota.check(limits, used, quota.server_request(count, flavor.vcpus,
                                                               flavor.memory_mb))
                return count
            except quota.QuotaExceeded:
                if count == min_count:
                    raise
        return min_count

    def create(self, auth, request_id, server, hints):
        """Record the servers a create request asks for and start their builds.
        ``server`` is the validated request body's server, ``hints`` its scheduler
        hints. Returns (instances, reservation_id)."""
        disks = block_devices.plan(server)
        user_data = _user_data(server)
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
            key_data = self._key_data(session, auth, server.get("key_name"))
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
                    config_drive=server.get("config_drive", False),
                    requested_networks=networks, network_info=[],
                    request_spec=dict(request_spec, instance_uuid=instance_uuid,
                                      num_instances=1),
                    retry={}, reservation_id=reservation_id, launch_index=index,
                    block_device_mappings=disks.rows(),
                    metadata_items=[models.InstanceMetadata(key=k, value=v)
                                    for k, v in metadata.items()])
                session.add(instance)
                if group is not None:
                    session.add(models.ServerGroupMember(group_uuid=group["uuid"],
                                                         instance_uuid=instance.uuid))
                actions.record(session, instance.uuid, actions.CREATE, request_id,
                               auth.user_id, auth.project_id)
                created.append(instance)
        uuids = [instance.uuid for instance in created]
        self._recheck_quota(auth, uuids, count, flavor)
        ctxt = auth.rpc_context(request_id)
        self.handles.conductor.build_instances(
            ctxt, uuids, dict(request_spec, instance_uuid=uuids[0], num_instances=count))
        return created, reservation_id

    def record_api_steps(self, created, context):
        """The API's own share of each new server's build, for its trace: validating the
        token, then checking and recording the request up to handing it on."""
        with self.db.session() as session:
            for instance in created:
                actions.add_finished_event(session, instance.uuid, context.request_id,
                                           actions.API_AUTH_EVENT, self.conf.host,
                                           context.received_at, context.authenticated_at)
                actions.add_finished_event(session, instance.uuid, context.request_id,
                                           actions.API_CREATE_EVENT, self.conf.host,
                                           context.authenticated_at, utcnow())

    def _recheck_quota(self, auth, uuids, count, flavor):
        try:
            with self.db.session() as session:
                quota.recheck_servers(session, self.conf, auth.project_id,
                                      quota.server_request(count, flavor.vcpus,
                                                           flavor.memory_mb))
        except quota.QuotaExceeded:
            with self.db.session() as session:
                for instance in session.scalars(select(models.Instance).where(
                        models.Instance.uuid.in_(uuids))):
                    session.delete(instance)
                session.execute(models.ServerGroupMember.__table__.delete().where(
                    models.ServerGroupMember.instance_uuid.in_(uuids)))
            raise

    # --- delete ---------------------------------------------------------------------------

    def delete(self, auth, request_id, instance_uuid):
        """Delete a server (the caller's right to has been checked): through its agent if
        it has a live one, else right here."""
        with self.db.session() as session:
            host = instances.get(session, instance_uuid).host
        host_up = bool(host) and agent_is_up(self.db, self.conf, host)
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            states.check_unlocked(instance.uuid, instance.locked, auth.is_admin)
            actions.record(session, instance.uuid, actions.DELETE, request_id,
                           auth.user_id, auth.project_id)
            host = instance.host if host_up or instance.host != host else None
            if host:
                # The agent destroys the guest, then tells the conductor it is gone.
                instance.task_state = states.DELETING
                local = False
            else:
                # Never placed, or its host is down: nothing to destroy that we can reach.
                network_info = instance.network_info
                volumes = [(bdm.volume_id, bdm.attachment_id, bdm.delete_on_termination)
                           for bdm in instance.block_device_mappings if bdm.volume_id]
                instances.mark_deleted(session, instance)
                local = True
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

    # --- power actions --------------------------------------------------------------------

    def _begin(self, auth, request_id, instance_uuid, action, record_as):
        """Check the lock and the state (409 if they forbid ``action``), set the
        action's task_state and record the action; returns the server's host."""
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            states.check_unlocked(instance.uuid, instance.locked, auth.is_admin)
            if not instance.host:
                raise exception.InstanceInvalidState(
                    f"Cannot '{action}' instance {instance_uuid}: it is on no host.")
            instance.task_state = states.begin_action(action, instance.vm_state,
                                                      instance.task_state, instance_uuid)
            actions.record(session, instance.uuid, record_as, request_id, auth.user_id,
                           auth.project_id)
            return instance.host

    def power_action(self, auth, request_id, instance_uuid, action, record_as):
        """Start stop/start/reboot/pause/unpause/suspend/resume: set the task_state,
        record the action, and tell the server's agent."""
        host = self._begin(auth, request_id, instance_uuid, action, record_as)
        ctxt = auth.rpc_context(request_id)
        agents = self.handles.agents
        if action in ("reboot", "reboot_hard"):
            agents.reboot_instance(ctxt, host, instance_uuid, hard=action == "reboot_hard")
        else:
            getattr(agents, AGENT_METHODS[action])(ctxt, host, instance_uuid)

    # --- snapshot and rebuild -------------------------------------------------------------

    def _check_local_disks(self, instance, action):
        """Snapshot and rebuild work on a local root disk from an image, alone."""
        if not instance.image_ref:
            raise exception.InvalidRequest(
                f"Cannot '{action}' instance {instance.uuid}: it boots from a volume, "
                f"which this cloud does not support for {action}.")
        if action == "rebuild" and any(bdm.volume_id
                                       for bdm in instance.block_device_mappings):
            raise exception.InvalidRequest(
                f"Cannot 'rebuild' instance {instance.uuid} while volumes are attached: "
                f"detach them first.")

    def create_image(self, auth, request_id, instance_uuid, name, metadata):
        """Snapshot the server: a queued image owned by the server's project, which the
        server's agent fills with a copy of the root disk. Returns the image's id."""
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            states.check_unlocked(instance.uuid, instance.locked, auth.is_admin)
            states.begin_action("createImage", instance.vm_state, instance.task_state,
                                instance_uuid)
            self._check_local_disks(instance, "createImage")
            document = snapshots.image_document(instance, name, metadata, auth.user_id,
                                                auth.project_id)
        image_id = self.handles.image.create_queued(auth.token, document)
        try:
            host = self._begin(auth, request_id, instance_uuid, "createImage",
                               actions.CREATE_IMAGE)
        except exception.ComputeError:
            self.handles.image.delete(auth.token, image_id)
            raise
        self.handles.agents.snapshot_instance(auth.rpc_context(request_id), host,
                                              instance_uuid, image_id)
        return image_id

    def rebuild(self, auth, request_id, instance_uuid, rebuild):
        """Rebuild the server from ``rebuild["imageRef"]`` (checked as for a create),
        optionally renamed, re-described, with new metadata or key pair; its agent
        replaces the guest on the same ports."""
        disks = block_devices.plan({"imageRef": rebuild["imageRef"]})
        image_id = disks.image_id
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            states.check_unlocked(instance.uuid, instance.locked, auth.is_admin)
            states.begin_action("rebuild", instance.vm_state, instance.task_state,
                                instance_uuid)
            self._check_local_disks(instance, "rebuild")
            key_data = (self._key_data(session, auth, rebuild["key_name"])
                        if rebuild.get("key_name") else None)
            metadata_limit = quota.limits(session, self.conf,
                                          instance.project_id)["metadata_items"]
        image_meta = self.handles.image.get_active(auth.token, image_id)
        block_devices.check_image_fits(instance, image_meta, disks)
        metadata = rebuild.get("metadata")
        if (metadata is not None and metadata_limit != quota.UNLIMITED
                and len(metadata) > metadata_limit):
            raise quota.QuotaExceeded("metadata_items", len(metadata), 0, metadata_limit)
        host = self._begin(auth, request_id, instance_uuid, "rebuild", actions.REBUILD)
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            instance.image_ref = image_id
            instance.image_meta = image_meta
            instance.request_spec = dict(instance.request_spec, image={
                "id": image_id, "properties": image_meta["properties"]})
            if "name" in rebuild:
                instance.name = rebuild["name"]
            if "description" in rebuild:
                instance.description = rebuild["description"]
            if rebuild.get("key_name"):
                instance.key_name, instance.key_data = rebuild["key_name"], key_data
            if metadata is not None:
                instance.metadata_items = [models.InstanceMetadata(key=k, value=v)
                                           for k, v in metadata.items()]
        self.handles.agents.rebuild_instance(auth.rpc_context(request_id), host,
                                             instance_uuid)

    # --- locking --------------------------------------------------------------------------

    def lock(self, auth, request_id, instance_uuid, reason=None):
        """Lock the server: only admins may change it until it is unlocked. Locked by
        "owner" when the caller's project owns it, else by "admin" (Nova's rule)."""
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            instance.locked = True
            instance.locked_by = "owner" if auth.project_id == instance.project_id else "admin"
            instance.locked_reason = reason
            actions.record(session, instance.uuid, actions.LOCK, request_id, auth.user_id,
                           auth.project_id)

    def unlock(self, auth, request_id, instance_uuid):
        """Unlock the server; a lock the other side (owner or admin) set needs the
        ``unlock_override`` rule (admins) to lift."""
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            caller = "owner" if auth.project_id == instance.project_id else "admin"
            if instance.locked and instance.locked_by != caller:
                policy.authorize(auth, "os_compute_api:os-lock-server:unlock:unlock_override",
                                 {"project_id": instance.project_id})
            instance.locked = False
            instance.locked_by = None
            instance.locked_reason = None
            actions.record(session, instance.uuid, actions.UNLOCK, request_id, auth.user_id,
                           auth.project_id)

    def console_output(self, auth, request_id, instance, length):
        if instance.vm_state not in (states.ACTIVE, states.STOPPED) or not instance.host:
            raise exception.InstanceInvalidState(
                f"Cannot get the console of instance {instance.uuid} while it is in "
                f"vm_state {instance.vm_state}")
        try:
            output = self.handles.agents.get_console_output(
                auth.rpc_context(request_id), instance.host, instance.uuid,
                timeout=self.conf.compute.service_timeout)
        except messaging.MessagingTimeout:
            raise exception.ServiceUnavailable(
                f"The agent of host {instance.host} did not answer.") from None
        lines = output.splitlines()
        limit = self.conf.compute.console_output_max_lines
        if length is not None and length >= 0:
            limit = min(limit, length)
        return "\n".join(lines[-limit:] if limit else [])
