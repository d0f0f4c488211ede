"""Request bodies, bounded and strict: the one layer every API's JSON passes through.

``BodyLimitMiddleware`` (installed on every service's app) refuses a body larger than
``[api] max_request_body_size`` from its ``Content-Length`` with a 413 before anything is
read, as OpenStack's ``oslo_middleware.sizelimit`` does; only resources that stream data
(image upload) opt out. ``read_json`` then reads at most that many bytes (also when the
body is chunked, with no length announced) and accepts only what storage, URLs, logs and
the response renderer can take: nesting no deeper than ``[api] max_json_depth``, strict
UTF-8 without lone surrogates or NUL characters, integers that fit a 64-bit column and
finite numbers. Each service still words the 400 for malformed JSON its own way
(``malformed``, ``error_type``) because the stock clients show that text; every error is
rendered in the service's own error format by its app.
"""
import json
import math
import re

import jsonschema

from controller.api import errors

DEFAULT_MAX_BODY = 114688
DEFAULT_MAX_DEPTH = 32
_READ_SIZE = 64 * 1024
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1
# Structure and escapes only: strings are skipped by pairing quotes, escapes as a unit.
_JSON_TOKENS = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class BodyLimitMiddleware:
    """413 for a body announced larger than ``max_bytes``, before the responder runs.

    A resource lists the methods whose body it streams itself (image data) in
    ``streamed_body_methods``; those keep no bound here.
    """

    def __init__(self, max_bytes=DEFAULT_MAX_BODY, max_depth=DEFAULT_MAX_DEPTH):
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    def process_resource(self, req, resp, resource, params):
        req.context.body_limits = (self.max_bytes, self.max_depth)
        if req.method in getattr(resource, "streamed_body_methods", ()):
            return
        length = req.content_length
        if length is not None and length > self.max_bytes:
            raise errors.RequestEntityTooLarge(
                f"The request body is larger than {self.max_bytes} bytes.",
                headers={"Connection": "close"})


def read_json(req, max_bytes=None, malformed="The request body is not valid JSON.",
              error_type=None):
    """The parsed body (None when it is empty); 413 when larger than the bound, 400
    with ``malformed`` when it is not JSON, 400 saying why when it is JSON that cannot be
    stored or rendered safely."""
    limit, depth = getattr(req.context, "body_limits", (DEFAULT_MAX_BODY, DEFAULT_MAX_DEPTH))
    raw = read_bounded(req, limit if max_bytes is None else max_bytes)
    if not raw:
        return None
    return parse(raw, depth, malformed, error_type)


def read_bounded(req, max_bytes):
    """At most ``max_bytes`` of the body, whether its length is announced or chunked."""
    length = req.content_length
    if length is not None and length > max_bytes:
        raise errors.RequestEntityTooLarge(
            f"The request body is larger than {max_bytes} bytes.",
            headers={"Connection": "close"})
    if length is not None:
        return req.bounded_stream.read(length)
    if "chunked" not in (req.get_header("Transfer-Encoding") or "").lower():
        return b""
    chunks, total = [], 0
    while True:
        chunk = req.stream.read(min(_READ_SIZE, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise errors.RequestEntityTooLarge(
                f"The request body is larger than {max_bytes} bytes.",
                headers={"Connection": "close"})


def parse(raw, max_depth=DEFAULT_MAX_DEPTH, malformed="The request body is not valid JSON.",
          error_type=None):
    """``raw`` as a JSON document that every later step can store and render."""
    if nesting_depth(raw, max_depth) > max_depth:
        raise errors.BadRequest(f"The request body nests deeper than {max_depth} levels.",
                                error_type)
    try:
        document = json.loads(raw.decode("utf-8"), parse_float=_finite_float,
                              parse_constant=_no_constant)
    except _NotFinite:
        raise errors.BadRequest("The request body holds a number out of range.",
                                error_type) from None
    except (ValueError, UnicodeDecodeError):
        raise errors.BadRequest(malformed, error_type) from None
    problem = unstorable(document)
    if problem:
        raise errors.BadRequest(f"Invalid input in the request body: {problem}.", error_type)
    return document


def nesting_depth(raw, enough=0):
    """How deep arrays and objects nest in ``raw`` (JSON bytes), without recursion; when
    there are no more than ``enough`` of them, their count (a bound, found quicker)."""
    openings = raw.count(b"[") + raw.count(b"{")
    if openings <= enough:
        return openings
    depth = deepest = 0
    in_string = False
    for token in _JSON_TOKENS.findall(raw):
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def unstorable(document):
    """Why ``document`` (parsed JSON, depth already bounded) cannot be stored, or None."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            if _UNSTORABLE.search(value):
                return "strings must be valid UTF-8 text without NUL characters"
        elif isinstance(value, int) and not isinstance(value, bool):
            if not INT64_MIN <= value <= INT64_MAX:
                return "integers must lie between -2^63 and 2^63-1"
    return None


def _is_integer(checker, instance):
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON Schema (draft 7) in which ``1.0`` or ``1e308`` is not an integer: a float where an
# integer is expected is refused instead of being truncated or overflowing a column.
StrictValidator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine("integer", _is_integer))


class _NotFinite(ValueError):
    pass


def _finite_float(text):
    number = float(text)
    if not math.isfinite(number):
        raise _NotFinite(text)
    return number


def _no_constant(name):
    raise _NotFinite(name)
