"""The block storage API (Cinder v3 subset) under ``/volume``.

Every resource is routed both as ``/v3/{project_id}/...`` (what the catalog endpoint
``/volume/v3/%(project_id)s`` gives) and as ``/v3/...`` (microversion 3.67). The API
host is the storage host: building the app also restores what a restart interrupted.
"""
import os

from controller.api import app as api_app
from controller.volume.api import (attachments, common, faults, microversions, quotas,
                                   services, snapshots, types, versions, volumes)
from controller.volume.attachments import AttachmentManager
from controller.volume.backend import exports, files
from controller.volume.manager import VolumeManager


def create_app(runtime):
    vconf = runtime.conf.volume
    root = vconf.volumes_path or os.path.join(runtime.conf.state_path, "volumes")
    volume_files = files.VolumeFiles(root, vconf.qemu_img)
    export_daemons = exports.ExportDaemons(os.path.join(root, "exports"),
                                           vconf.storage_daemon)
    volume_manager = VolumeManager(runtime, volume_files)
    attachment_manager = AttachmentManager(runtime, volume_files, export_daemons)
    volume_manager.recover()
    attachment_manager.recover()

    base_url = runtime.endpoint("/volume")
    app = api_app.make_service_app(
        runtime, faults.cinder_fault,
        middleware=[microversions.MicroversionMiddleware(), common.ProjectScopeMiddleware()])
    app.add_route("/", versions.Root(base_url))
    app.add_route("/v3", versions.V3(base_url))
    routes = {
        "/volumes": volumes.Volumes(volume_manager, base_url),
        "/volumes/detail": volumes.VolumesDetail(volume_manager, base_url),
        "/volumes/summary": volumes.VolumesSummary(volume_manager, base_url),
        "/volumes/{volume_id}": volumes.Volume(volume_manager, base_url),
        "/volumes/{volume_id}/action": volumes.VolumeAction(volume_manager, base_url),
        "/volumes/{volume_id}/metadata": volumes.VolumeMetadata(volume_manager, base_url),
        "/volumes/{volume_id}/metadata/{key}": volumes.VolumeMetadataItem(volume_manager,
                                                                         base_url),
        "/snapshots": snapshots.Snapshots(volume_manager, base_url),
        "/snapshots/detail": snapshots.SnapshotsDetail(volume_manager, base_url),
        "/snapshots/{snapshot_id}": snapshots.Snapshot(volume_manager, base_url),
        "/snapshots/{snapshot_id}/action": snapshots.SnapshotAction(volume_manager,
                                                                    base_url),
        "/types": types.Types(runtime.db),
        "/types/{type_id}": types.Type(runtime.db),
        "/os-quota-sets/{target_project_id}": quotas.QuotaSet(runtime.db, runtime.conf),
        "/os-quota-sets/{target_project_id}/defaults": quotas.QuotaSetDefaults(
            runtime.conf),
        "/limits": quotas.Limits(runtime.db, runtime.conf),
        "/os-services": services.Services(runtime.conf, root),
        "/attachments": attachments.Attachments(attachment_manager, base_url),
        "/attachments/detail": attachments.AttachmentsDetail(attachment_manager,
                                                                 base_url),
        "/attachments/{attachment_id}": attachments.Attachment(attachment_manager,
                                                                   base_url),
        "/attachments/{attachment_id}/action": attachments.AttachmentAction(
            attachment_manager, base_url),
    }
    for path, resource in routes.items():
        app.add_route("/v3/{project_id}" + path, resource)
        app.add_route("/v3" + path, resource)
    return app
