"""The dashboard's pages of images, volumes, networks and subnets: lists with the forms
that create, attach, detach and delete them, each a call of the public API as the
signed-in user (``pages.Base``). An image's file streams from the browser's upload into
the image API a chunk at a time, never whole in memory."""
import falcon

from contract.clients.base import ClientError
from controller.dashboard import session as sessions
from controller.dashboard.pages import Base, done

DISK_FORMATS = ("qcow2", "raw", "iso", "vmdk", "vdi", "vhd", "vhdx", "ami", "ari", "aki")
UPLOAD_CHUNK = 1024 * 1024
VOLUME_ACTIONS = ("attach", "detach", "delete")


class Upload:
    """A file part of a multipart form as a request body: read in pieces as the image
    API reads it (``read``), or iterated (requests streams an iterable body)."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size=UPLOAD_CHUNK):
        return self.stream.read(UPLOAD_CHUNK if size is None or size < 0 else size)

    def __iter__(self):
        return iter(self.read, b"")


def text(form, name, what):
    value = (form.get(name) or "").strip()
    if not value:
        raise falcon.HTTPBadRequest(description=f"{what} is missing.")
    return value


class Images(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        self.page(req, resp, "images.html", session, images=self.cloud(session).images(),
                  disk_formats=DISK_FORMATS)

    def on_post(self, req, resp):
        """The form's fields come first (the CSRF token before anything else unless
        the header carries it), its file last: the image is created when the file part
        begins, and its data streams on from the request into the image API."""
        session = self.session(req)
        if not (req.content_type or "").startswith(falcon.MEDIA_MULTIPART):
            raise falcon.HTTPUnsupportedMediaType(
                description="An image comes as a multipart form with its file.")
        fields = {}
        for part in req.get_media():
            if part.name != "file":
                fields[part.name] = part.get_text()
                continue
            sessions.check_csrf(req, fields, session.csrf)
            if not part.filename:
                raise falcon.HTTPBadRequest(description="Choose a file to upload.")
            disk_format = fields.get("disk_format")
            if disk_format not in DISK_FORMATS:
                raise falcon.HTTPBadRequest(description="Choose the image's disk format.")
            cloud = self.cloud(session)
            image = cloud.create_image(fields.get("name") or part.filename, disk_format,
                                       visibility=fields.get("visibility") or "private")
            try:
                cloud.upload_image_data(image["id"], Upload(part.stream))
            except ClientError:
                # The image without its data is of no use: do not leave it queued.
                try:
                    cloud.delete_image(image["id"])
                except ClientError:
                    pass
                raise
            return done(req, resp, "/dashboard/images")
        sessions.check_csrf(req, fields, session.csrf)
        raise falcon.HTTPBadRequest(description="Choose a file to upload.")


class ImageDelete(Base):
    def on_post(self, req, resp, image_id):
        session, _ = self.post_session(req)
        self.cloud(session).delete_image(image_id)
        done(req, resp, "/dashboard/images")


class Volumes(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        cloud = self.cloud(session)
        servers = cloud.servers()
        self.page(req, resp, "volumes.html", session, volumes=cloud.volumes(),
                  servers=servers, names={s["id"]: s["name"] for s in servers})

    def on_post(self, req, resp):
        session, form = self.post_session(req)
        try:
            size = int(form.get("size", ""))
        except ValueError:
            raise falcon.HTTPBadRequest(description="The size is a number of GB.") from None
        self.cloud(session).create_volume(form.get("name", ""), size)
        done(req, resp, "/dashboard/volumes")


class VolumeAction(Base):
    def on_post(self, req, resp, volume_id, action):
        if action not in VOLUME_ACTIONS:
            raise falcon.HTTPNotFound()
        session, form = self.post_session(req)
        cloud = self.cloud(session)
        if action == "attach":
            cloud.attach_volume(text(form, "server_id", "The server"), volume_id)
        elif action == "detach":
            cloud.detach_volume(text(form, "server_id", "The server"), volume_id)
        else:
            cloud.delete_volume(volume_id)
        done(req, resp, "/dashboard/volumes")


class Networks(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        cloud = self.cloud(session)
        subnets = {}
        for subnet in cloud.subnets():
            subnets.setdefault(subnet["network_id"], []).append(subnet)
        self.page(req, resp, "networks.html", session, networks=cloud.networks(),
                  subnets=subnets)

    def on_post(self, req, resp):
        session, form = self.post_session(req)
        self.cloud(session).create_network(text(form, "name", "The name"))
        done(req, resp, "/dashboard/networks")


class NetworkDelete(Base):
    def on_post(self, req, resp, network_id):
        session, _ = self.post_session(req)
        self.cloud(session).delete_network(network_id)
        done(req, resp, "/dashboard/networks")


class Subnets(Base):
    def on_post(self, req, resp, network_id):
        session, form = self.post_session(req)
        gateway = {}
        if form.get("no_gateway"):
            gateway["gateway_ip"] = None
        elif (form.get("gateway_ip") or "").strip():
            gateway["gateway_ip"] = form["gateway_ip"].strip()
        self.cloud(session).create_subnet(
            network_id, form.get("name", ""), text(form, "cidr", "The CIDR"),
            enable_dhcp=bool(form.get("enable_dhcp")), **gateway)
        done(req, resp, "/dashboard/networks")


class SubnetDelete(Base):
    def on_post(self, req, resp, subnet_id):
        session, _ = self.post_session(req)
        self.cloud(session).delete_subnet(subnet_id)
        done(req, resp, "/dashboard/networks")


ROUTES = {
    "/images": Images, "/images/{image_id}/delete": ImageDelete,
    "/volumes": Volumes, "/volumes/{volume_id}/{action}": VolumeAction,
    "/networks": Networks, "/networks/{network_id}/delete": NetworkDelete,
    "/networks/{network_id}/subnets": Subnets, "/subnets/{subnet_id}/delete": SubnetDelete,
}
