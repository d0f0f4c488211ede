"""Errors of the compute flow that cross the message bus (conductor ↔ agent ↔ API) and the
sibling HTTP APIs' clients.

Pure Python, so agents import them without the database. ``code`` is the HTTP status the
compute API answers with when one reaches it.
"""


class ComputeError(Exception):
    """Base of the errors below; the message is meant for the API's client."""

    code = 500


class InstanceNotFound(ComputeError):
    code = 404


class UnexpectedTaskState(ComputeError):
    """A compare-and-swap update found a different task_state than the caller expected."""

    code = 409


class UnexpectedDeletingTaskState(UnexpectedTaskState):
    """The server is being deleted while another step was in flight: abandon that step."""


class InvalidRequest(ComputeError):
    """The request names something that does not exist or cannot be used (an image,
    a network, a port)."""

    code = 400


class ServiceUnavailable(ComputeError):
    """Another service this request needs (image, network) did not answer."""

    code = 503


class AgentTooOld(ComputeError):
    """``[upgrade_levels] agent`` caps messages below the version an action needs (as
    Nova's ``MultiattachSupportNotYetAvailable`` while computes are too old)."""

    code = 409


class ConductorTooOld(ComputeError):
    """``[upgrade_levels] conductor`` caps messages below the version an action needs."""

    code = 409


class ConsoleTypeUnavailable(ComputeError):
    """The console asked for is not offered (its kind is disabled, or unknown)."""

    code = 400


class InstanceNotReady(ComputeError):
    """The server's guest is not running, so it has no console to open (Nova's 409)."""

    code = 409


class MigrationNotFound(ComputeError):
    code = 404
