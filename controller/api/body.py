"""Reading JSON request bodies, bounded: one place for every API's body parsing.

Falcon's ``req.get_media()`` and a bare ``req.bounded_stream.read()`` read however much
the client sends into memory; this reads at most ``max_bytes`` and answers 413 past it.
Each service still words its 400 in its own way (``malformed``, ``error_type``) because
the stock clients show that text.
"""
import json

from controller.api import errors

MAX_JSON_BODY = 1024 * 1024


def read_json(req, max_bytes=MAX_JSON_BODY, malformed="The request body is not valid JSON.",
              error_type=None):
    """The parsed body (None when it is empty); 413 when larger than ``max_bytes``, 400
    with ``malformed`` when it is not JSON."""
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise errors.RequestEntityTooLarge("The request body is too large.")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.BadRequest(malformed, error_type) from None
