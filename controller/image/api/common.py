"""What every image resource shares: the error body, JSON bodies, the operations."""
import dataclasses

from controller.api import body, errors


def error_body(status, message, error_type):
    """Errors as ``{"error": {"code", "title", "message"}}``: python-glanceclient joins the
    ``message`` of each top-level object, openstacksdk reads the same, so both show it."""
    return {"error": {"code": status, "title": errors.title(status), "message": message}}


def read_json(req, media_types=("application/json",)):
    """The request body, parsed (bounded); 415 for another media type, 400 for bad JSON."""
    media_type = (req.content_type or "").split(";")[0].strip().lower()
    if media_type not in media_types:
        raise errors.UnsupportedMediaType(
            f"Content type {req.content_type!r} is not supported here; send "
            f"{' or '.join(media_types)}.")
    return body.read_json(req)


def read_object(req):
    document = read_json(req)
    if not isinstance(document, dict):
        raise errors.BadRequest("Expecting a JSON object as the request body.")
    return document


@dataclasses.dataclass
class Services:
    """Handed to every resource: configuration and the operations on images."""

    conf: object
    data: object        # data.ImageData
    records: object     # records.ImageRecords
    members: object     # members.ImageMembers
