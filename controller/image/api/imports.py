"""Interoperable image import: discovery (``/v2/info/import``) and the import call.

Only ``web-download`` is offered: the controller fetches the image from a URL, with the
same streaming, limits and inspection as an upload.
"""
import falcon

from controller.api import errors
from controller.image.api import common

METHODS = ("web-download",)
METHODS_HEADER = "OpenStack-image-import-methods"


class ImportInfo:
    def on_get(self, req, resp):
        resp.media = {"import-methods": {"description": "Import methods available.",
                                         "type": "array", "value": list(METHODS)}}


class ImageImport:
    def __init__(self, services):
        self.data = services.data

    def on_post(self, req, resp, image_id):
        body = common.read_object(req)
        method = body.get("method")
        if not isinstance(method, dict) or not isinstance(method.get("name"), str):
            raise errors.BadRequest("Expecting 'method' with a 'name' in the request body.")
        if method["name"] not in METHODS:
            raise errors.BadRequest(f"Import method {method['name']!r} is not supported; "
                                    f"available: {', '.join(METHODS)}.")
        uri = method.get("uri")
        if not isinstance(uri, str) or not uri:
            raise errors.BadRequest("The web-download method needs a 'uri'.")
        self.data.start_import(req.context.auth, image_id, uri)
        resp.status = falcon.HTTP_202
        # No body; glanceclient parses any JSON-typed body, so say it is not JSON.
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = ""
