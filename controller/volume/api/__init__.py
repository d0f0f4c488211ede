"""The block storage API (Cinder v3 subset) under ``/volume``.

Every resource is routed both as ``/v3/{project_id}/...`` (what the catalog endpoint
``/volume/v3/%(project_id)s`` gives) and as ``/v3/...`` (microversion 3.67). The API
host is the storage host: building the app also restores what a restart interrupted.
"""
import os

from controller.api import app as api_app
from controller.volume import actions, records, uploads
from controller.volume.api import (attachments, backends, common, extensions, faults,
                                   messages, metadata, microversions, qos, quotas, services,
                                   snapshots, transfers, types, versions, volume_actions,
                                   volumes)
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
    volume_action_manager = actions.VolumeActions(runtime.db, attachment_manager)
    volume_manager.recover()
    attachment_manager.recover()

    base_url = runtime.endpoint("/volume")
    app = api_app.make_service_app(
        runtime, faults.cinder_fault,
        middleware=[microversions.MicroversionMiddleware(), common.ProjectScopeMiddleware()])
    # Cinder's routes do not match a trailing slash: ``/volumes/`` names no volume (404).
    app.req_options.strip_url_path_trailing_slash = False
    app.add_route("/", versions.Root(base_url))
    app.add_route("/v3", versions.V3(base_url))
    app.add_route("/v3/", versions.V3(base_url))
    routes = {
        "/volumes": volumes.Volumes(volume_manager, base_url),
        "/volumes/detail": volumes.VolumesDetail(volume_manager, base_url),
        "/volumes/summary": volumes.VolumesSummary(volume_manager, base_url),
        "/volumes/{volume_id}": volumes.Volume(volume_manager, base_url),
        "/volumes/{volume_id}/action": volume_actions.VolumeAction(
            volume_manager, volume_action_manager,
            uploads.VolumeUploads(runtime.db, volume_files, volume_manager.images,
                                  volume_manager.submit)),
        "/volumes/{volume_id}/metadata": metadata.Metadata(runtime.db,
                                                          records.VOLUME_METADATA),
        "/volumes/{volume_id}/metadata/{key}": metadata.MetadataItem(
            runtime.db, records.VOLUME_METADATA),
        "/snapshots/{snapshot_id}/metadata": metadata.Metadata(runtime.db,
                                                              records.SNAPSHOT_METADATA),
        "/snapshots/{snapshot_id}/metadata/{key}": metadata.MetadataItem(
            runtime.db, records.SNAPSHOT_METADATA),
        "/snapshots": snapshots.Snapshots(volume_manager, base_url),
        "/snapshots/detail": snapshots.SnapshotsDetail(volume_manager, base_url),
        "/snapshots/{snapshot_id}": snapshots.Snapshot(volume_manager, base_url),
        "/snapshots/{snapshot_id}/action": snapshots.SnapshotAction(
            volume_manager, volume_action_manager, base_url),
        "/types": types.Types(runtime.db),
        "/types/{type_id}": types.Type(runtime.db),
        "/types/{type_id}/extra_specs": types.ExtraSpecs(runtime.db),
        "/types/{type_id}/extra_specs/{key}": types.ExtraSpec(runtime.db),
        "/types/{type_id}/action": types.TypeAction(runtime.db),
        "/types/{type_id}/os-volume-type-access": types.TypeAccess(runtime.db),
        "/qos-specs": qos.QosSpecsList(runtime.db, base_url),
        "/qos-specs/{qos_id}": qos.QosSpecs(runtime.db, base_url),
        "/qos-specs/{qos_id}/delete_keys": qos.QosDeleteKeys(runtime.db, base_url),
        "/qos-specs/{qos_id}/associations": qos.QosAssociations(runtime.db, base_url),
        "/qos-specs/{qos_id}/associate": qos.QosAssociate(runtime.db, base_url),
        "/qos-specs/{qos_id}/disassociate": qos.QosDisassociate(runtime.db, base_url),
        "/qos-specs/{qos_id}/disassociate_all": qos.QosDisassociateAll(runtime.db,
                                                                       base_url),
        "/os-quota-sets/{target_project_id}": quotas.QuotaSet(runtime.db, runtime.conf),
        "/os-quota-sets/{target_project_id}/defaults": quotas.QuotaSetDefaults(
            runtime.conf),
        "/limits": quotas.Limits(runtime.db, runtime.conf),
        "/os-services": services.Services(runtime.db, runtime.conf, root),
        "/os-services/{action}": services.ServiceAction(runtime.db, runtime.conf),
        "/extensions": extensions.Extensions(),
        "/os-availability-zone": extensions.AvailabilityZones(runtime.conf),
        "/messages": messages.Messages(runtime.db, base_url),
        "/messages/{message_id}": messages.Message(runtime.db, base_url),
        "/scheduler-stats/get_pools": backends.Pools(runtime.conf, root),
        "/capabilities/{host}": backends.Capabilities(runtime.conf),
        **_transfer_routes("/os-volume-transfer", runtime, base_url, new_api=False),
        **_transfer_routes("/volume-transfers", runtime, base_url, new_api=True),
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


def _transfer_routes(prefix, runtime, base_url, new_api):
    args = (runtime.db, runtime.conf, base_url, new_api)
    return {prefix: transfers.Transfers(*args),
            f"{prefix}/detail": transfers.TransfersDetail(*args),
            f"{prefix}/{{transfer_id}}": transfers.Transfer(*args),
            f"{prefix}/{{transfer_id}}/accept": transfers.TransferAccept(*args)}
