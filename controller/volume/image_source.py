"""Reading images from and writing volumes to the image API (Glance v2) with the
caller's own token, so a user can only make volumes from images they may see and
uploads images as themselves."""
import hashlib

import requests

CHUNK = 1024 * 1024


class ImageUnavailable(Exception):
    """The image does not exist for this caller, or cannot be read right now."""


class ImageSource:
    def __init__(self, base_url, timeout):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def show(self, image_id, token):
        """The image's record; ImageUnavailable unless it exists, is visible and active."""
        try:
            resp = requests.get(f"{self.base_url}/v2/images/{image_id}",
                                headers={"X-Auth-Token": token}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ImageUnavailable(f"The image service could not be reached: {exc}")
        if resp.status_code in (403, 404):
            raise ImageUnavailable(f"Image {image_id} could not be found.")
        if resp.status_code != 200:
            raise ImageUnavailable(f"The image service answered {resp.status_code} for "
                                   f"image {image_id}.")
        image = resp.json()
        if image.get("status") != "active":
            raise ImageUnavailable(f"Image {image_id} is not active (status: "
                                   f"{image.get('status')}).")
        return image

    def download(self, image, token, dest):
        """Stream the data of ``image`` (its record) into the file ``dest``, checking it
        against the hash the image service recorded at upload."""
        image_id = image["id"]
        algo, expected = image.get("os_hash_algo"), image.get("os_hash_value")
        digest = hashlib.new(algo) if algo and expected else None
        try:
            with requests.get(f"{self.base_url}/v2/images/{image_id}/file",
                              headers={"X-Auth-Token": token}, stream=True,
                              timeout=self.timeout) as resp:
                if resp.status_code != 200:
                    raise ImageUnavailable(f"Downloading image {image_id} failed: the image "
                                           f"service answered {resp.status_code}.")
                with open(dest, "wb") as f:
                    for chunk in resp.iter_content(CHUNK):
                        f.write(chunk)
                        if digest is not None:
                            digest.update(chunk)
        except requests.RequestException as exc:
            raise ImageUnavailable(f"Downloading image {image_id} failed: {exc}")
        if digest is not None and digest.hexdigest() != expected:
            raise ImageUnavailable(f"Image {image_id}'s data does not match its "
                                   f"{algo} hash.")

    def create(self, token, **fields):
        """A new (queued) image record with ``fields``; its id."""
        try:
            resp = requests.post(f"{self.base_url}/v2/images", json=fields,
                                 headers={"X-Auth-Token": token}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ImageUnavailable(f"The image service could not be reached: {exc}")
        if resp.status_code != 201:
            raise ImageUnavailable(f"The image service refused the image "
                                   f"({resp.status_code}): {resp.text[:300]}")
        return resp.json()["id"]

    def upload(self, image_id, token, path):
        """Send the file at ``path`` as the image's data."""
        try:
            with open(path, "rb") as data:
                resp = requests.put(f"{self.base_url}/v2/images/{image_id}/file", data=data,
                                    headers={"X-Auth-Token": token,
                                             "Content-Type": "application/octet-stream"},
                                    timeout=self.timeout)
        except requests.RequestException as exc:
            raise ImageUnavailable(f"Uploading image {image_id} failed: {exc}")
        if resp.status_code != 204:
            raise ImageUnavailable(f"Uploading image {image_id} failed: the image service "
                                   f"answered {resp.status_code}.")
