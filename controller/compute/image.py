"""Asks the image service (Glance v2, over HTTP, with the caller's own token) whether an
image exists, is visible to the caller and is active — so users can boot only images
they may see, exactly as the image API would let them see them."""
from contract import exception
from controller.compute.siblings import SiblingClient

# Fields of a Glance v2 image that are not user properties.
_BASE_FIELDS = frozenset({
    "id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo",
    "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
    "disk_format", "container_format", "created_at", "updated_at", "tags", "self", "file",
    "schema", "locations", "direct_url", "stores", "os_hidden"})


def image_meta(image):
    """Glance's flat image document → the image_meta drivers and the scheduler read."""
    meta = {key: image.get(key) for key in (
        "id", "name", "status", "disk_format", "container_format", "size", "checksum",
        "os_hash_algo", "os_hash_value", "min_ram", "min_disk")}
    meta["min_ram"] = meta["min_ram"] or 0
    meta["min_disk"] = meta["min_disk"] or 0
    meta["properties"] = {key: value for key, value in image.items()
                          if key not in _BASE_FIELDS}
    return meta


class ImageAPI:
    def __init__(self, runtime):
        conf = runtime.conf
        self.client = SiblingClient(runtime, conf.compute.image_endpoint
                                    or runtime.endpoint("/image"),
                                    conf.compute.service_timeout, "image")

    def get_active(self, token, image_id):
        """The image_meta of an active image the token's user may see, else an error
        saying why it cannot be booted."""
        resp = self.client.request("GET", f"/v2/images/{image_id}", token)
        if resp.status_code == 404:
            raise exception.InvalidRequest(f"Image {image_id} could not be found.")
        if resp.status_code != 200:
            raise exception.ServiceUnavailable(
                f"The image service answered {resp.status_code} for image {image_id}.")
        image = resp.json()
        if image.get("status") != "active":
            raise exception.InvalidRequest(
                f"Image {image_id} is not active (status {image.get('status')}).")
        return image_meta(image)

    def create_queued(self, token, document):
        """Create an image record without data (a snapshot's, which its server's agent
        uploads) as the token's user; returns its id."""
        resp = self.client.request("POST", "/v2/images", token, json=document)
        if 400 <= resp.status_code < 500:
            raise exception.InvalidRequest(
                f"The image service refused the snapshot image: {resp.text[:200]}")
        if resp.status_code != 201:
            raise exception.ServiceUnavailable(
                f"The image service answered {resp.status_code} creating an image.")
        return resp.json()["id"]

    def delete(self, token, image_id):
        """Delete an image this API created (gone already is fine)."""
        resp = self.client.request("DELETE", f"/v2/images/{image_id}", token)
        if resp.status_code not in (204, 404):
            raise exception.ServiceUnavailable(
                f"The image service answered {resp.status_code} deleting image {image_id}.")
