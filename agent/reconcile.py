"""What the agent does for its host rather than for a request: at start, reconcile what
the database expects with what the host has; periodically, report, sync power states,
refresh networks and prune the image cache. Mixed into ``AgentManager``."""
import logging
import time

from agent import interrupted
from agent.build import BUILD_STEPS
from agent.virt import driver as virt_driver
from agent.virt import power_state
from contract import exception, rpc
from contract import port_binding as network
from contract import vm_states as states

LOG = logging.getLogger(__name__)

# The vm_states of a server whose guest is at rest on this host (no build, no error):
# its power state is synced, its ports rewired after a restart.
GUEST_VM_STATES = (states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED)
# An unchanged capacity is reported again this often (Nova's update_available_resource).
INVENTORY_REFRESH_SECONDS = 60


def service_context():
    """The context of the agent's own requests (heartbeats, power-state sync)."""
    return rpc.RequestContext(is_admin=True, overwrite=False)


def best_effort(cleanup, *args):
    """One step of the reconciliation at start: a failure is logged, and the next start
    tries again, rather than keeping the host from serving."""
    try:
        cleanup(*args)
    except Exception:
        LOG.exception("Reconciliation step %s%r failed", cleanup.__name__, args[-1:])


class HostReconciliation:
    """Needs ``driver``, ``host_network``, ``ports``, ``volumes``, ``conductor``,
    ``host``, ``availability_zone``, ``update`` and ``terminate_instance``."""

    _inventory_reported = None       # (resources, zone) the conductor has, and when
    _inventory_reported_at = 0.0

    # --- at start -------------------------------------------------------------------

    def init_host(self):
        """Connect the driver and the host network, register the host, and reconcile
        what the database expects with what this host has: finish deletes, finish or
        reschedule interrupted builds (``agent.interrupted``), remove guests and ports
        whose instances are gone, rewire the ports of the rest."""
        self.driver.init_host(self.host)
        self.host_network.init_host()
        self.driver.register_event_listener(self.handle_lifecycle_event)
        self.report()
        if self.ports.service_credentials is None:
            LOG.warning("No [service_credentials]: host %s cannot bind ports to itself "
                        "(unless its callers are admins), clean up ports after a restart "
                        "nor refresh tunnel peers", self.host)
        ctxt = service_context()
        best_effort(self.clean_evacuated)
        kept = {}
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            if instance["task_state"] == states.DELETING:
                self.terminate_instance(ctxt, instance["uuid"])
            elif instance["task_state"] in BUILD_STEPS:
                # A build still in "scheduling" may have its message waiting in the
                # queue; the conductor's check of stuck builds covers a lost one.
                finished = interrupted.recover(self, ctxt, instance,
                                               self._current_power_state(instance))
                if finished is not None:
                    kept[instance["uuid"]] = finished
            else:
                kept[instance["uuid"]] = instance
        self._remove_leftovers(ctxt, kept)
        self.ports.rewire([instance for instance in kept.values()
                           if instance["vm_state"] in GUEST_VM_STATES])

    def _remove_leftovers(self, ctxt, kept):
        """Remove what belongs to no instance kept on this host: guests, wired ports, and
        (with the service user) ports of instances deleted, or rescheduled to another
        host, while this agent was away."""
        for uuid in self.driver.list_instance_uuids():
            if uuid not in kept:
                LOG.warning("Destroying guest %s: no instance of this host has it", uuid)
                best_effort(self.driver.destroy, ctxt, {"uuid": uuid}, [])
        wanted = {vif["id"] for instance in kept.values() for vif in instance["network_info"]}
        for port_id in self.host_network.plugged_port_ids() - wanted:
            LOG.warning("Unplugging port %s: no instance of this host has it", port_id)
            best_effort(self.host_network.unplug, port_id)
        client = self.ports.service_client()
        if client is None:
            return
        try:
            for port in client.list_ports(**{"binding:host_id": self.host}):
                if (not port["device_owner"].startswith("compute:")
                        or port["device_id"] in kept):
                    continue
                try:
                    instance = self.conductor.instance_get(ctxt, port["device_id"])
                except exception.InstanceNotFound:
                    LOG.warning("Deleting port %s of deleted instance %s", port["id"],
                                port["device_id"])
                    network.release_port(client, port["id"], preserve=False)
                    continue
                if instance["host"] != self.host:
                    # A build rescheduled while this agent was down: a port the user
                    # brought is only unbound.
                    LOG.warning("Releasing port %s of instance %s, which left this host",
                                port["id"], port["device_id"])
                    network.release_port(client, port["id"], preserve=port["id"] in {
                        request.get("port_id")
                        for request in instance["requested_networks"]})
        except Exception:  # best effort: the next start tries again
            LOG.exception("Could not clean up the ports of deleted instances")

    # --- periodic, and the hypervisor's events ----------------------------------------

    def report(self):
        """Heartbeat, through the conductor (periodic); and the capacity when it changed,
        or once every ``INVENTORY_REFRESH_SECONDS`` (so a changed allocation ratio of
        the controller still applies) — as Nova's resource tracker writes its compute
        node only on a change. A thousand hosts sending their unchanged capacity every
        ten seconds were most of the conductor's work (docs/benchmarks.md, Scale)."""
        ctxt = service_context()
        self.conductor.service_heartbeat(ctxt, self.host, self.availability_zone)
        resources = dict(self.driver.get_available_resource(), host_ip=self.conf.agent.my_ip)
        reported = (resources, self.availability_zone)
        now = time.monotonic()
        if (reported == self._inventory_reported
                and now - self._inventory_reported_at < INVENTORY_REFRESH_SECONDS):
            return
        self.conductor.report_inventory(ctxt, self.host, resources, self.availability_zone)
        self._inventory_reported, self._inventory_reported_at = reported, now

    def handle_lifecycle_event(self, event):
        """A guest changed power state on its own: record the state it is in now, asked
        of the driver, since an event may arrive after the action that caused it has
        recorded its result (a pause's "suspended" after the server became PAUSED)."""
        ctxt = service_context()
        try:
            instance = self.conductor.instance_get(ctxt, event.instance_uuid)
            self._record_power_state(ctxt, instance, self._current_power_state(instance))
        except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
            LOG.info("Ignoring lifecycle event for %s: %s", event.instance_uuid, exc)

    def sync_power_states(self):
        """Periodic: record the power state of every guest whose server says otherwise,
        in case a hypervisor event was missed (e.g. while the agent was down)."""
        ctxt = service_context()
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            if (instance["task_state"] is not None
                    or instance["vm_state"] not in GUEST_VM_STATES):
                continue
            state = self._current_power_state(instance)
            if state == instance["power_state"]:
                continue
            try:
                self._record_power_state(ctxt, instance, state)
            except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
                LOG.info("Power state of %s not synced: %s", instance["uuid"], exc)

    def _current_power_state(self, instance):
        try:
            return self.driver.get_power_state(instance)
        except virt_driver.InstanceNotOnHost:
            return power_state.NOSTATE

    def _record_power_state(self, ctxt, instance, state):
        """A running or paused server whose guest stopped (or vanished) becomes SHUTOFF,
        as in Nova; otherwise only the power state is recorded (a paused server stays
        PAUSED, a suspended one SUSPENDED). An action in flight wins (its task_state is
        set)."""
        updates = {"power_state": state}
        if instance["vm_state"] in (states.ACTIVE, states.PAUSED) and state in (
                power_state.SHUTDOWN, power_state.CRASHED, power_state.NOSTATE):
            updates["vm_state"] = states.STOPPED
        self.update(ctxt, instance["uuid"], updates, [None])

    def refresh_networks(self):
        """Periodic: catch the networks wired here up with the network service."""
        self.ports.refresh()

    def refresh_security_groups(self):
        """Periodic (about every second): security groups reconciled with the network
        service."""
        self.ports.refresh_filters()

    def manage_image_cache(self):
        """Periodic: let the driver drop images no guest here has used for long."""
        removed = self.driver.manage_image_cache()
        if removed:
            LOG.info("Removed unused cached images: %s", ", ".join(removed))
