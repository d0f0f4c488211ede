"""Every configuration option of pocketstack, one module per group, and which service
uses which groups.

Nothing registers options by being imported: each entry point calls ``register`` with
the groups of the services it runs (``SERVICE_GROUPS``) before it parses its
configuration. ``pocketstack config-sample`` lists every group of the table.
"""
from oslo_config import cfg

from conf import (agent, api, compute, console_proxy, consoleauth, database, default,
                  fake_driver, identity, image, l3, libvirt, network, quota, scheduler,
                  serial_console, service_credentials, upgrade_levels, vnc, volume)

CONF = cfg.CONF

_MODULES = {module.GROUP: module for module in (
    default, database, api, identity, image, compute, quota, scheduler, network, volume,
    agent, fake_driver, service_credentials, libvirt, upgrade_levels, l3, vnc,
    serial_console, consoleauth, console_proxy)}

_CONTROLLER_BASE = ("DEFAULT", "database", "api", "upgrade_levels")

# Service (a controller role, the agent, or the operator's commands) → groups it reads.
SERVICE_GROUPS = {
    "api": _CONTROLLER_BASE + ("identity", "image", "compute", "quota", "scheduler",
                               "network", "volume", "vnc", "serial_console", "consoleauth",
                               "service_credentials"),
    "conductor": _CONTROLLER_BASE + ("compute", "quota", "scheduler", "network"),
    "scheduler": _CONTROLLER_BASE + ("compute", "scheduler"),
    "agent": ("DEFAULT", "api", "upgrade_levels", "compute", "network", "agent", "fake_driver",
              "service_credentials", "libvirt", "l3", "vnc", "serial_console"),
    "console_proxy": _CONTROLLER_BASE + ("console_proxy",),
    "manage": _CONTROLLER_BASE + ("identity", "service_credentials"),
}


def groups_of(*services):
    """The groups the given services use, each once, in the table's order."""
    groups = []
    for service in services:
        groups += [group for group in SERVICE_GROUPS[service] if group not in groups]
    return groups


def register(conf, groups):
    """Register the options of ``groups`` (names as in ``SERVICE_GROUPS``) on ``conf``;
    registering a group twice is harmless."""
    for group in groups:
        _MODULES[group].register_opts(conf)


def list_opts():
    """Every group of every service, for ``oslo-config-generator`` (config-sample)."""
    opts = []
    for group in groups_of(*SERVICE_GROUPS):
        opts += _MODULES[group].list_opts()
    return opts
