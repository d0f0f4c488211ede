"""The image API (Glance v2 subset), mounted at ``/image``."""
from conf.image import store_dir
from contract import image_format
from controller.api.app import make_service_app
from controller.image import transfer
from controller.image.api import (common, image_data, images, imports, members,
                                  metadef_contents, metadef_namespaces, schemas, tasks,
                                  versions)
from controller.image.data import ImageData
from controller.image.metadef_contents import MetadefObjects, MetadefProperties, MetadefTags
from controller.image.metadef_namespaces import MetadefNamespaces
from controller.image.members import ImageMembers
from controller.image.records import ImageRecords
from controller.image.store import FilesystemStore
from controller.image.tasks import ImageTasks


def create_app(runtime):
    conf = runtime.conf
    unknown = [f for f in conf.image.disk_formats if not image_format.supported(f)]
    if unknown:
        raise ValueError(f"[image] disk_formats: no content inspector for "
                         f"{', '.join(unknown)}")
    transfer.limit_malloc_retention()
    store = FilesystemStore(store_dir(conf))
    data = ImageData(conf, runtime.db, store)
    data.recover()
    records = ImageRecords(conf, runtime.db, store)
    services = common.Services(conf=conf, data=data, records=records,
                               members=ImageMembers(conf, runtime.db))
    image_tasks = ImageTasks(conf, runtime.db, records, data)
    image_tasks.recover()
    metadefs = metadef_namespaces.Metadefs(
        conf=conf, namespaces=MetadefNamespaces(runtime.db),
        objects=MetadefObjects(runtime.db), properties=MetadefProperties(runtime.db),
        tags=MetadefTags(runtime.db))
    app = make_service_app(runtime, common.error_body)
    # Glance's routes do not match a trailing slash: ``/v2/images/`` names no image (404).
    app.req_options.strip_url_path_trailing_slash = False
    endpoint = runtime.endpoint("/image")
    routes = {
        "/": versions.Versions(endpoint, explicit=False),
        "/versions": versions.Versions(endpoint, explicit=True),
        "/v2/images": images.Images(services),
        "/v2/images/{image_id}": images.ImageResource(services),
        "/v2/images/{image_id}/file": image_data.ImageFile(services),
        "/v2/images/{image_id}/import": imports.ImageImport(services),
        "/v2/images/{image_id}/tags/{tag}": images.ImageTagResource(services),
        "/v2/images/{image_id}/actions/{action}": images.ImageAction(services),
        "/v2/images/{image_id}/members": members.Members(services),
        "/v2/images/{image_id}/members/{member_id}": members.Member(services),
        "/v2/info/import": imports.ImportInfo(),
        "/v2/tasks": tasks.Tasks(conf, image_tasks),
        "/v2/tasks/{task_id}": tasks.Task(conf, image_tasks),
        **schemas.routes(conf),
        **metadef_routes(metadefs),
    }
    for path, resource in routes.items():
        app.add_route(path, resource)
    return app


def metadef_routes(metadefs):
    namespace = "/v2/metadefs/namespaces/{namespace}"
    resources = {
        "/v2/metadefs/namespaces": metadef_namespaces.Namespaces,
        namespace: metadef_namespaces.Namespace,
        f"{namespace}/resource_types": metadef_namespaces.Associations,
        f"{namespace}/resource_types/{{resource_type}}": metadef_namespaces.Association,
        "/v2/metadefs/resource_types": metadef_namespaces.ResourceTypes,
        f"{namespace}/objects": metadef_contents.Objects,
        f"{namespace}/objects/{{name}}": metadef_contents.Object,
        f"{namespace}/properties": metadef_contents.Properties,
        f"{namespace}/properties/{{name}}": metadef_contents.Property,
        f"{namespace}/tags": metadef_contents.Tags,
        f"{namespace}/tags/{{name}}": metadef_contents.Tag,
    }
    return {path: resource(metadefs) for path, resource in resources.items()}
