"""``/os-quota-sets/{project}`` (limits, usage, defaults; admins change them) and
``/limits`` (the caller's own limits and usage in the absolute-limits shape)."""
from controller import policy
from controller.api import errors
from controller.volume import quotas
from controller.volume.api import common, schemas

# ``quota_set`` keys that name the project rather than a limit.
IGNORED_KEYS = ("id", "tenant_id")


class QuotaSet:
    def __init__(self, db, conf):
        self.db = db
        self.conf = conf

    def on_get(self, req, resp, target_project_id):
        policy.authorize(req.context.auth, "volume_extension:quotas:show",
                         {"project_id": target_project_id})
        limits, usage = quotas.limits_and_usage(self.db, self.conf, target_project_id)
        if schemas.to_bool(req.get_param("usage", default="false")):
            body = {resource: {"limit": limit, "in_use": usage[resource], "reserved": 0,
                               "allocated": 0} for resource, limit in limits.items()}
        else:
            body = dict(limits)
        resp.media = {"quota_set": {"id": target_project_id, **body}}

    def on_put(self, req, resp, target_project_id):
        policy.authorize(req.context.auth, "volume_extension:quotas:update",
                         {"project_id": target_project_id})
        values = common.body(req, schemas.QUOTA_SET)["quota_set"]
        bad = sorted(set(values) - set(quotas.RESOURCES) - set(IGNORED_KEYS))
        if bad:
            raise errors.BadRequest(f"Bad key(s) {', '.join(bad)} in quota_set.")
        limits = {key: schemas.to_int(value, key) for key, value in values.items()
                  if key in quotas.RESOURCES}
        resp.media = {"quota_set": quotas.update_limits(self.db, self.conf,
                                                        target_project_id, limits)}

    def on_delete(self, req, resp, target_project_id):
        policy.authorize(req.context.auth, "volume_extension:quotas:update",
                         {"project_id": target_project_id})
        quotas.reset_limits(self.db, target_project_id)


class QuotaSetDefaults:
    def __init__(self, conf):
        self.conf = conf

    def on_get(self, req, resp, target_project_id):
        policy.authorize(req.context.auth, "volume_extension:quotas:show",
                         {"project_id": target_project_id})
        resp.media = {"quota_set": {"id": target_project_id,
                                    **quotas.default_limits(self.conf)}}


class Limits:
    def __init__(self, db, conf):
        self.db = db
        self.conf = conf

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "limits_extension:used_limits")
        limits, usage = quotas.limits_and_usage(self.db, self.conf, auth.project_id)
        resp.media = {"limits": {"rate": [], "absolute": {
            "maxTotalVolumes": limits["volumes"],
            "maxTotalSnapshots": limits["snapshots"],
            "maxTotalVolumeGigabytes": limits["gigabytes"],
            "totalVolumesUsed": usage["volumes"],
            "totalSnapshotsUsed": usage["snapshots"],
            "totalGigabytesUsed": usage["gigabytes"],
            "maxTotalBackups": limits["backups"],
            "maxTotalBackupGigabytes": limits["backup_gigabytes"],
            "totalBackupsUsed": usage["backups"],
            "totalBackupGigabytesUsed": usage["backup_gigabytes"],
        }}}
