"""libvirt domain states and lifecycle events as Nova's power states."""
import libvirt
import pytest

from agent.virt import power_state
from agent.virt.libvirt import power


@pytest.mark.parametrize("state, expected", [
    (libvirt.VIR_DOMAIN_NOSTATE, power_state.NOSTATE),
    (libvirt.VIR_DOMAIN_RUNNING, power_state.RUNNING),
    (libvirt.VIR_DOMAIN_BLOCKED, power_state.RUNNING),
    (libvirt.VIR_DOMAIN_PAUSED, power_state.PAUSED),
    (libvirt.VIR_DOMAIN_SHUTDOWN, power_state.SHUTDOWN),
    (libvirt.VIR_DOMAIN_SHUTOFF, power_state.SHUTDOWN),
    (libvirt.VIR_DOMAIN_CRASHED, power_state.CRASHED),
    (libvirt.VIR_DOMAIN_PMSUSPENDED, power_state.SUSPENDED),
    (99, power_state.NOSTATE),
])
def test_domain_states(state, expected):
    assert power.from_domain_state(state) == expected


@pytest.mark.parametrize("event, expected", [
    (libvirt.VIR_DOMAIN_EVENT_STARTED, power_state.RUNNING),
    (libvirt.VIR_DOMAIN_EVENT_RESUMED, power_state.RUNNING),
    (libvirt.VIR_DOMAIN_EVENT_SUSPENDED, power_state.PAUSED),
    (libvirt.VIR_DOMAIN_EVENT_STOPPED, power_state.SHUTDOWN),
    (libvirt.VIR_DOMAIN_EVENT_CRASHED, power_state.CRASHED),
    (libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED, power_state.SUSPENDED),
    (libvirt.VIR_DOMAIN_EVENT_DEFINED, None),
    (libvirt.VIR_DOMAIN_EVENT_UNDEFINED, None),
    (libvirt.VIR_DOMAIN_EVENT_SHUTDOWN, None),  # shutting down; STOPPED follows
])
def test_lifecycle_events(event, expected):
    assert power.from_lifecycle_event(event) == expected
