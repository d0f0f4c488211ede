"""The image service (Glance v2) as the agent uses it, with the user's token: downloads
image data, and uploads the data of a server's snapshot."""
import requests

from conf.api import public_url
from contract.clients.base import ClientError, HTTPClient

CHUNK_SIZE = 1024 * 1024
PATCH_MEDIA_TYPE = "application/openstack-images-v2.1-json-patch"


class ImageError(ClientError):
    """An image could not be fetched or is not usable; the message says why."""


class ImageNotFound(ImageError):
    pass


def image_endpoint(conf):
    """The image API the agent talks to: the same one the compute API asks."""
    return conf.compute.image_endpoint or public_url(conf) + "/image"


class ImageClient(HTTPClient):
    error = ImageError
    service_name = "Image service"

    def __init__(self, endpoint, timeout=60.0):
        """Each call passes the token to act with."""
        super().__init__(endpoint, timeout=timeout)

    def fault(self, response):
        """The image API's own message (``{"error": {"message": ...}}``) when it gave one."""
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return super().fault(response)
        return (message, response.status_code)

    def iter_data(self, token, image_id):
        """The image's data as it streams in, ``CHUNK_SIZE`` bytes at a time."""
        response = self._request("GET", token, f"{image_id}/file",
                                 f"the data of image {image_id}", stream=True)
        with response:
            if response.status_code != 200:   # 204: the image has no data yet
                raise ImageError(f"Image service answered {response.status_code} for "
                                 f"the data of image {image_id}.")
            try:
                yield from response.iter_content(CHUNK_SIZE)
            except requests.RequestException as exc:
                raise ImageError(f"Download of image {image_id} broke off: {exc}") from exc

    def _request(self, method, token, path, what, **kwargs):
        """The answer; errors name ``what`` was asked for."""
        response = self.request(method, f"/v2/images/{path}", token, check=False, **kwargs)
        if response.status_code == 404:
            raise ImageNotFound(f"Image {path.split('/')[0]} could not be found.", 404)
        if response.status_code >= 400:
            raise ImageError(f"Image service answered {response.status_code} to {what}: "
                             f"{response.text[:200]}", response.status_code)
        return response

    def upload(self, token, image_id, path, disk_format, container_format="bare"):
        """Give the queued image its formats, then its data from the file ``path`` (the
        image service then checks the data is that format and makes the image active)."""
        self._request("PATCH", token, image_id, f"the formats of image {image_id}",
                      headers={"Content-Type": PATCH_MEDIA_TYPE},
                      json=[{"op": "add", "path": "/disk_format", "value": disk_format},
                            {"op": "add", "path": "/container_format",
                             "value": container_format}])
        with open(path, "rb") as data:
            self._request("PUT", token, f"{image_id}/file", f"the data of image {image_id}",
                          headers={"Content-Type": "application/octet-stream"}, data=data)

    def list(self, token, **filters):
        """Every image the token sees that matches ``filters`` (Glance's list filters,
        custom properties included), following the pages."""
        images, url = [], "/v2/images"
        params = dict(filters)
        while url:
            response = self.request("GET", url, token, params=params)
            body = response.json()
            images += body["images"]
            url, params = body.get("next"), None
        return images

    def delete(self, token, image_id):
        """Delete the image (one whose snapshot failed); gone already is fine."""
        try:
            self._request("DELETE", token, image_id, f"deleting image {image_id}")
        except ImageNotFound:
            pass
