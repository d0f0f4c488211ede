"""``/v2/images/{id}/file``: upload (streamed in) and download (streamed out, with
``Content-MD5`` and single byte ranges)."""
import os

import falcon

from controller.api import errors
from controller.api import chunked
from controller.image import transfer
from controller.image.store import FileChunks

UPLOAD_MEDIA_TYPE = "application/octet-stream"
SIZE_HINT_HEADER = "x-openstack-image-size"   # sent by python-glanceclient
# Downloads go out in pieces below transfer.MMAP_THRESHOLD, so each read reuses memory
# malloc already holds instead of mapping and faulting in fresh pages.
SEND_SIZE = 128 * 1024


class RangeNotSatisfiable(errors.ApiError):
    status = 416


def byte_range(req, size):
    """The (first, last) byte a Range header asks for, or None for the whole file."""
    if req.range is None:
        return None
    if req.range_unit != "bytes":
        raise RangeNotSatisfiable("Only byte ranges are supported.",
                                  headers={"Content-Range": f"bytes */{size}"})
    first, last = req.range
    if first < 0:
        first, last = max(size + first, 0), size - 1
    elif last < 0 or last >= size:
        last = size - 1
    if first >= size or first > last:
        raise RangeNotSatisfiable(f"The image has {size} bytes.",
                                  headers={"Content-Range": f"bytes */{size}"})
    return first, last


def announced_size(req):
    """The size the client says it sends, for an early 413 before reading anything."""
    hint = req.get_header(SIZE_HINT_HEADER)
    if hint is not None:
        try:
            return int(hint)
        except ValueError:
            raise errors.BadRequest(f"Header {SIZE_HINT_HEADER} must be an integer.")
    return req.content_length


class ImageFile:
    streamed_body_methods = ("PUT",)   # image data: no JSON body bound

    def __init__(self, services):
        self.data = services.data

    def on_put(self, req, resp, image_id):
        media_type = (req.content_type or "").split(";")[0].strip().lower()
        if media_type != UPLOAD_MEDIA_TYPE:
            raise errors.UnsupportedMediaType(
                f"Image data must be sent as {UPLOAD_MEDIA_TYPE}, not {req.content_type!r}.")
        # Either reader checks that a Content-Length body really was that long.
        body = (chunked.direct(req.stream)
                or transfer.read_chunks(req.stream, req.content_length))
        self.data.upload(req.context.auth, image_id, body, announced_size(req))
        resp.status = falcon.HTTP_204

    def on_get(self, req, resp, image_id):
        image, file = self.data.open_data(req.context.auth, image_id)
        if file is None:
            resp.status = falcon.HTTP_204
            return
        try:
            size = os.fstat(file.fileno()).st_size
            wanted = byte_range(req, size)
        except BaseException:
            file.close()
            raise
        resp.content_type = UPLOAD_MEDIA_TYPE
        resp.set_header("Accept-Ranges", "bytes")
        if wanted is None:
            first, length = 0, size
            resp.set_header("Content-MD5", image.checksum)
        else:
            first, length = wanted[0], wanted[1] - wanted[0] + 1
            resp.status = falcon.HTTP_206
            resp.set_header("Content-Range", f"bytes {wanted[0]}-{wanted[1]}/{size}")
        resp.content_length = length
        resp.stream = FileChunks(file, first, length, SEND_SIZE)
