"""Errors of the compute flow, raised by the services and carried across the message bus
(conductor ↔ agent ↔ API).

Pure Python, so agents import them without the database. ``code`` is the HTTP status the
compute API answers with when one reaches it.
"""


class ComputeError(Exception):
    """Base of the errors below; the message is meant for the API's client."""

    code = 500


class InstanceNotFound(ComputeError):
    code = 404


class InstanceInvalidState(ComputeError):
    """The server is not in a state that allows the action."""

    code = 409


class UnexpectedTaskState(ComputeError):
    """A compare-and-swap update found a different task_state than the caller expected."""

    code = 409


class UnexpectedDeletingTaskState(UnexpectedTaskState):
    """The server is being deleted while another step was in flight: abandon that step."""


class InvalidRequest(ComputeError):
    """The request names something that does not exist or cannot be used (an image,
    a network, a port)."""

    code = 400


class RequestConflict(ComputeError):
    """The request cannot be done as asked now (e.g. several networks could be meant)."""

    code = 409


class ServiceUnavailable(ComputeError):
    """Another service this request needs (image, network) did not answer."""

    code = 503
