"""Errors only the compute API raises (a request that does not fit the server's state);
the ones that cross the message bus are in ``contract.exception``."""
from contract.exception import ComputeError


class InstanceInvalidState(ComputeError):
    """The server is not in a state that allows the action."""

    code = 409


class RequestConflict(ComputeError):
    """The request cannot be done as asked now (e.g. several networks could be meant)."""

    code = 409
