"""Images on a compute host: the image service's HTTP API as the agent uses it, and the
cache of base images that instance disks are overlays on."""


class ImageError(Exception):
    """An image could not be fetched or is not usable; the message says why."""


class ImageNotFound(ImageError):
    pass
