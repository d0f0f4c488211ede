"""Images on a compute host: the cache of base images that instance disks are overlays
on (the image service's client is ``contract.clients.image``)."""
