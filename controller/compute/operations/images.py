"""Images through compute: Nova's ``/images`` proxy, kept for clients older than
microversion 2.36. Like Nova, compute stores nothing: it asks the image service (Glance
v2) with the caller's token and translates — list and show, delete, and the image's
user properties as its ``metadata``."""
from controller.api import errors
from controller.compute import image as image_fields
from controller.compute import quota

PATCH_MEDIA_TYPE = "application/openstack-images-v2.1-json-patch"

# Nova's list filters → the image service's: the server filter is the snapshot's
# ``instance_uuid`` property, the type its ``image_type``.
_FILTERS = {"name": "name", "server": "instance_uuid", "type": "image_type"}


class ImageProxy:
    def __init__(self, svc):
        self.svc = svc
        self.client = svc.image.client

    def _call(self, method, path, token, **kwargs):
        resp = self.client.request(method, path, token, **kwargs)
        if resp.status_code == 404:
            raise errors.NotFound("Image not found.")
        if resp.status_code == 403:
            raise errors.Forbidden("You are not allowed to do this to the image.")
        if resp.status_code == 400:
            raise errors.BadRequest(_message(resp))
        if resp.status_code >= 400:
            raise errors.ServiceUnavailable(
                f"The image service answered {resp.status_code}: {_message(resp)}")
        return resp.json() if resp.content else None

    # --- list and show ------------------------------------------------------------------

    def list(self, auth, filters, limit=None, marker=None):
        """The images the caller may see (Glance documents), newest first, matching
        Nova's filters: name, status (Nova's or Glance's word), server (id or link),
        type, changes-since, minRam and minDisk (at least)."""
        params = {"limit": limit} if limit is not None else {}
        if marker:
            params["marker"] = marker
        for name, target in _FILTERS.items():
            if filters.get(name):
                params[target] = filters[name].rstrip("/").rsplit("/", 1)[-1] \
                    if name == "server" else filters[name]
        if filters.get("status"):
            params["status"] = filters["status"].lower()
        if filters.get("changes-since"):
            params["updated_at"] = "gte:" + filters["changes-since"]
        found = self._call("GET", "/v2/images", auth.token, params=params)["images"]
        for name, field in (("minRam", "min_ram"), ("minDisk", "min_disk")):
            if filters.get(name) is not None:
                least = _int_filter(filters[name], name)
                found = [image for image in found if (image.get(field) or 0) >= least]
        return found

    def show(self, auth, image_id):
        return self._call("GET", f"/v2/images/{image_id}", auth.token)

    def delete(self, auth, image_id):
        resp = self.client.request("DELETE", f"/v2/images/{image_id}", auth.token)
        if resp.status_code == 403:
            raise errors.Forbidden("You are not allowed to delete the image.")
        if resp.status_code != 204:
            self._call("DELETE", f"/v2/images/{image_id}", auth.token)

    # --- metadata -----------------------------------------------------------------------

    def metadata(self, auth, image_id):
        return properties(self.show(auth, image_id))

    def metadata_item(self, auth, image_id, key):
        found = self.metadata(auth, image_id)
        if key not in found:
            raise errors.NotFound("Invalid metadata key")
        return {key: found[key]}

    def update_metadata(self, auth, image_id, metadata, replace=False):
        """Add ``metadata`` to the image's properties (``replace``: instead of them all);
        returns the properties as they now are."""
        current = self.metadata(auth, image_id)
        wanted = dict(metadata) if replace else dict(current, **metadata)
        self._check_quota(auth, wanted)
        patch = [{"op": "remove", "path": f"/{_pointer(key)}"}
                 for key in current if key not in wanted]
        patch += [{"op": "replace" if key in current else "add",
                   "path": f"/{_pointer(key)}", "value": value}
                  for key, value in wanted.items() if current.get(key) != value]
        if not patch:
            return current
        image = self._call("PATCH", f"/v2/images/{image_id}", auth.token, json=patch,
                           headers={"Content-Type": PATCH_MEDIA_TYPE})
        return properties(image)

    def delete_metadata_item(self, auth, image_id, key):
        if key not in self.metadata(auth, image_id):
            raise errors.NotFound("Invalid metadata key")
        self._call("PATCH", f"/v2/images/{image_id}", auth.token,
                   json=[{"op": "remove", "path": f"/{_pointer(key)}"}],
                   headers={"Content-Type": PATCH_MEDIA_TYPE})

    def _check_quota(self, auth, metadata):
        with self.svc.db.session() as session:
            limit = quota.limits(session, self.svc.conf, auth.project_id)["metadata_items"]
        if limit != quota.UNLIMITED and len(metadata) > limit:
            raise errors.Forbidden("Image metadata limit exceeded")


def properties(image):
    """A Glance v2 image's user properties: what Nova shows as its ``metadata``."""
    return image_fields.image_meta(image)["properties"]


def _pointer(key):
    """``key`` as a JSON pointer segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def _int_filter(value, name):
    try:
        return int(value)
    except ValueError:
        raise errors.BadRequest(f"Invalid {name} filter [{value}]") from None


def _message(resp):
    try:
        return resp.json().get("message") or resp.text[:200]
    except ValueError:
        return resp.text[:200]
