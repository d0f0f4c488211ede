"""``/v2/schemas/{image,images,member,members}`` and ``/v2/schemas/metadefs/…``: the
documents the clients validate with."""
from controller.image import metadef_schemas, schemas


class Schema:
    public_methods = {"GET"}

    def __init__(self, document):
        self.document = document

    def on_get(self, req, resp):
        resp.media = self.document


def routes(conf):
    return {
        "/v2/schemas/image": Schema(schemas.image_schema(conf)),
        "/v2/schemas/images": Schema(schemas.images_schema(conf)),
        "/v2/schemas/member": Schema(schemas.member_schema()),
        "/v2/schemas/members": Schema(schemas.members_schema()),
        "/v2/schemas/task": Schema(schemas.task_schema()),
        "/v2/schemas/tasks": Schema(schemas.tasks_schema()),
        **{f"/v2/schemas/{path}": Schema(document)
           for path, document in metadef_schemas.documents().items()},
    }
