"""Nova's ``name``, ``ip`` and ``ip6`` filters on server lists: regular expressions the
caller writes (a name is searched, an address matched from its start, as Nova does).

Python's ``re`` backtracks, so a pattern such as ``(a+)+$`` takes exponential time and
one request could stall every API of the process. RE2 (``google-re2``) matches in time
linear in the name and bounds the memory of a compiled pattern; patterns it cannot run
that way (backreferences, lookarounds) are refused with 400, and so is a filter whose
matching over all candidates outlasts ``budget_seconds``.
"""
import time

import re2

from controller.api import errors

BUDGET_SECONDS = 0.5
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False      # a bad pattern is the caller's 400, not a log line
_OPTIONS.max_mem = 8 << 20       # bytes for the compiled pattern and its matcher


def compile_pattern(pattern):
    """The compiled filter, or a 400 saying why it cannot be used."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise errors.BadRequest(f"Invalid name filter {pattern!r}: {reason}") from None


def matching(pattern, items, name_of, budget_seconds=BUDGET_SECONDS):
    """The ``items`` whose name (``name_of(item)``) the pattern finds a match in."""
    compiled = compile_pattern(pattern)
    deadline = time.monotonic() + budget_seconds
    found = []
    for item in items:
        if compiled.search(name_of(item) or ""):
            found.append(item)
        if time.monotonic() > deadline:
            raise errors.BadRequest(f"The name filter {pattern!r} takes too long to "
                                    f"evaluate; use a simpler one.")
    return found


def addresses_matching(pattern, items, addresses_of, budget_seconds=BUDGET_SECONDS):
    """The ``items`` one of whose addresses (``addresses_of(item)``) the pattern matches
    from its start (Nova's ``ip``/``ip6`` filters)."""
    compiled = compile_pattern(pattern)
    deadline = time.monotonic() + budget_seconds
    found = []
    for item in items:
        if any(compiled.match(address) for address in addresses_of(item)):
            found.append(item)
        if time.monotonic() > deadline:
            raise errors.BadRequest(f"The address filter {pattern!r} takes too long to "
                                    f"evaluate; use a simpler one.")
    return found
