"""Shelving a server (a snapshot of it kept in the image service, its host freed when
offloaded) and unshelving it (started again where it is, or scheduled anew and built
from the snapshot), and rescuing it — each checked against ``states.ACTIONS`` and
recorded as an action, as Nova's ``shelve``, ``shelveOffload``, ``unshelve``,
``rescue`` and ``unrescue``."""
from contract import exception
from controller.compute import actions, instances, snapshots, states
from controller.compute.operations.movable import check_movable
from controller.compute.operations.servers import authorized

SHELVE = "shelve"
SHELVE_OFFLOAD = "shelveOffload"
UNSHELVE = "unshelve"


class ServerShelving:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, image service, RPC)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    def shelve(self, auth, request_id, instance_uuid, authorize):
        """Snapshot the server into a new image (``<name>-shelved``) and stop it; with
        ``[compute] shelved_offload_time`` 0 its host lets it go as well."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action(SHELVE, instance, auth.is_admin)
            check_movable(self.handles, instance, SHELVE, "shelve_instance",
                          needs_image=True, moves_volumes=True)
            document = snapshots.image_document(instance, f"{instance.name}-shelved", {},
                                                auth.user_id, auth.project_id)
        image_id = self.handles.image.create_queued(auth.token, document)
        try:
            with self.db.session() as session:
                instance = instances.get(session, instance_uuid, lock=True)
                instance.task_state = states.check_action(SHELVE, instance, auth.is_admin)
                instance.shelved_image_id = image_id
                actions.record(session, instance_uuid, SHELVE, request_id, auth.user_id,
                               auth.project_id)
                host = instance.host
        except exception.ComputeError:
            self.handles.image.delete(auth.token, image_id)
            raise
        self.handles.agents.shelve_instance(
            auth.rpc_context(request_id), host, instance_uuid, image_id,
            offload=self.conf.compute.shelved_offload_time == 0)

    def shelve_offload(self, auth, request_id, instance_uuid, authorize):
        """Free the host of a shelved server (its guest removed, its claim released)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            instance.task_state = states.check_action(SHELVE_OFFLOAD, instance,
                                                      auth.is_admin)
            actions.record(session, instance_uuid, SHELVE_OFFLOAD, request_id,
                           auth.user_id, auth.project_id)
            host = instance.host
        self.handles.agents.shelve_offload_instance(auth.rpc_context(request_id), host,
                                                    instance_uuid)

    def unshelve(self, auth, request_id, instance_uuid, authorize):
        """Start a shelved server again: on its host if it still has one, else on the
        host the scheduler claims, built from its snapshot (deleted afterwards)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action(UNSHELVE, instance, auth.is_admin)
            image_id = instance.shelved_image_id
        image_meta = None
        if instance.vm_state == states.SHELVED_OFFLOADED:
            if not image_id:
                raise exception.InvalidRequest(
                    f"Cannot 'unshelve' instance {instance_uuid}: its snapshot is gone.")
            image_meta = self.handles.image.get_active(auth.token, image_id)
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            instance.task_state = states.check_action(UNSHELVE, instance, auth.is_admin)
            actions.record(session, instance_uuid, UNSHELVE, request_id, auth.user_id,
                           auth.project_id)
            offloaded = instance.vm_state == states.SHELVED_OFFLOADED
            host = instance.host
        ctxt = auth.rpc_context(request_id)
        if offloaded:
            self.handles.conductor.unshelve_instance(ctxt, instance_uuid, image_id,
                                                     image_meta)
        else:
            self.handles.agents.unshelve_instance(ctxt, host, instance_uuid, image_id)


class ServerRescue:
    """Rescue (boot from a rescue image, the server's disk attached second) and
    unrescue, as Nova's ``rescue`` and ``unrescue``."""

    def __init__(self, handles):
        self.handles = handles
        self.db = handles.db
        # Agents too old to rescue: 409, as for every action the cap cannot carry.
        handles.agents.check_can_send("rescue_instance")

    def rescue(self, auth, request_id, instance_uuid, rescue_image_ref, authorize):
        """Rescue from ``rescue_image_ref`` (default: the server's own image)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action("rescue", instance, auth.is_admin, skip=(states.HOST,))
            # Booted from a volume: no local disk to rescue (Nova before stable rescue).
            # Attached data volumes stay out of the rescue guest, as in Nova.
            if not instance.image_ref:
                raise exception.InvalidRequest("Cannot rescue a volume-backed instance")
            image_id = rescue_image_ref or instance.image_ref
        image_meta = self.handles.image.get_active(auth.token, image_id)
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            instance.task_state = states.check_action("rescue", instance, auth.is_admin)
            actions.record(session, instance_uuid, "rescue", request_id, auth.user_id,
                           auth.project_id)
            host = instance.host
        self.handles.agents.rescue_instance(auth.rpc_context(request_id), host,
                                            instance_uuid, image_meta)

    def unrescue(self, auth, request_id, instance_uuid, authorize):
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            instance.task_state = states.check_action("unrescue", instance, auth.is_admin)
            actions.record(session, instance_uuid, "unrescue", request_id, auth.user_id,
                           auth.project_id)
            host = instance.host
        self.handles.agents.unrescue_instance(auth.rpc_context(request_id), host,
                                              instance_uuid)
