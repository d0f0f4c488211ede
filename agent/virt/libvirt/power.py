"""libvirt's domain states and lifecycle events as Nova's power states."""
import libvirt

from agent.virt import power_state

# virDomainState → power state, as Nova maps them.
DOMAIN_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: power_state.NOSTATE,
    libvirt.VIR_DOMAIN_RUNNING: power_state.RUNNING,
    libvirt.VIR_DOMAIN_BLOCKED: power_state.RUNNING,
    libvirt.VIR_DOMAIN_PAUSED: power_state.PAUSED,
    libvirt.VIR_DOMAIN_SHUTDOWN: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_SHUTOFF: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_CRASHED: power_state.CRASHED,
    libvirt.VIR_DOMAIN_PMSUSPENDED: power_state.SUSPENDED,
}

# virDomainEventType → the power state the guest is in afterwards. Events that say
# nothing about power (defined, undefined, "shutting down" before it has stopped) are
# absent.
LIFECYCLE_EVENTS = {
    libvirt.VIR_DOMAIN_EVENT_STARTED: power_state.RUNNING,
    libvirt.VIR_DOMAIN_EVENT_RESUMED: power_state.RUNNING,
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: power_state.PAUSED,
    libvirt.VIR_DOMAIN_EVENT_STOPPED: power_state.SHUTDOWN,
    libvirt.VIR_DOMAIN_EVENT_CRASHED: power_state.CRASHED,
    libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: power_state.SUSPENDED,
}


def from_domain_state(state, reason=None):
    """A domain shut off with its memory saved (managed save: a suspended server) is
    SUSPENDED, not SHUTDOWN."""
    if state == libvirt.VIR_DOMAIN_SHUTOFF and reason == libvirt.VIR_DOMAIN_SHUTOFF_SAVED:
        return power_state.SUSPENDED
    return DOMAIN_STATES.get(state, power_state.NOSTATE)


def from_lifecycle_event(event, detail=None):
    """The power state after a lifecycle event, or None for events about other things.
    Stopped because its memory was saved (managed save) is SUSPENDED."""
    if (event == libvirt.VIR_DOMAIN_EVENT_STOPPED
            and detail == libvirt.VIR_DOMAIN_EVENT_STOPPED_SAVED):
        return power_state.SUSPENDED
    return LIFECYCLE_EVENTS.get(event)
