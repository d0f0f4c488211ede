"""Downloads image data from the image service (Glance v2) with the user's token."""
import requests

from agent.image import ImageError, ImageNotFound

CHUNK_SIZE = 1024 * 1024


class ImageClient:
    def __init__(self, endpoint, timeout=60.0):
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def iter_data(self, token, image_id):
        """The image's data as it streams in, ``CHUNK_SIZE`` bytes at a time."""
        url = f"{self.endpoint}/v2/images/{image_id}/file"
        try:
            response = requests.get(url, headers={"X-Auth-Token": token}, stream=True,
                                    timeout=self.timeout)
        except requests.RequestException as exc:
            raise ImageError(f"Image service unreachable at {url}: {exc}") from exc
        with response:
            if response.status_code == 404:
                raise ImageNotFound(f"Image {image_id} could not be found.")
            if response.status_code != 200:
                raise ImageError(f"Image service answered {response.status_code} for "
                                 f"the data of image {image_id}.")
            try:
                yield from response.iter_content(CHUNK_SIZE)
            except requests.RequestException as exc:
                raise ImageError(f"Download of image {image_id} broke off: {exc}") from exc
