"""The scheduler: the database's view of compute hosts (services, capacity, claims) and
the choice of a host for each new server.

Its exceptions live here so that RPC callers can re-raise them by module name
(``controller.scheduler`` is an allowed remote exception module).
"""

# Service binaries as they appear in the services table (``openstack compute service list``):
# Nova's names for the processes that do the same work (the agent does nova-compute's), as
# clients filter on them (docs/compatibility.md, "Services").
AGENT_BINARY = "nova-compute"
CONDUCTOR_BINARY = "nova-conductor"
SCHEDULER_BINARY = "nova-scheduler"


class NoValidHost(Exception):
    """No host can take the instance; ``args[0]`` says why and becomes its fault (over
    RPC, ``str()`` of the re-raised exception also carries the remote traceback)."""

    PREFIX = "No valid host was found."

    def __init__(self, reason):
        # Re-raised from RPC, the exception is rebuilt from its message: prefix once.
        message = reason if reason.startswith(self.PREFIX) else f"{self.PREFIX} {reason}"
        super().__init__(message)


class InvalidRequestSpec(ValueError):
    """A request_spec that does not follow the contract in ``request_spec.SCHEMA``."""


class ServiceNotFound(LookupError):
    """No service row matches the host/binary or id given."""


class ServiceInUse(Exception):
    """A compute service still holds claims for instances and cannot be deleted."""
