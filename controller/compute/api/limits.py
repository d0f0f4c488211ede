"""``/limits``: the caller's project's limits next to what it uses."""
from controller import policy
from controller.compute.operations import quotas


class Limits:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:limits")
        project_id = auth.project_id
        if req.get_param("tenant_id") and auth.is_admin:
            project_id = req.get_param("tenant_id")
        limits, used = quotas.limits_and_usage(self.svc.db, self.svc.conf, project_id)
        absolute = {
            "maxTotalInstances": limits["instances"],
            "maxTotalCores": limits["cores"],
            "maxTotalRAMSize": limits["ram"],
            "maxServerMeta": limits["metadata_items"],
            "maxTotalKeypairs": limits["key_pairs"],
            "maxServerGroups": limits["server_groups"],
            "maxServerGroupMembers": limits["server_group_members"],
            "totalInstancesUsed": used["instances"],
            "totalCoresUsed": used["cores"],
            "totalRAMUsed": used["ram"],
            "totalServerGroupsUsed": used["server_groups"],
        }
        version = req.context.microversion
        if version < (2, 57):
            absolute.update({"maxPersonality": 0, "maxPersonalitySize": 0,
                             "maxImageMeta": limits["metadata_items"]})
        if version < (2, 36):
            absolute.update({"maxSecurityGroups": -1, "maxSecurityGroupRules": -1,
                             "maxTotalFloatingIps": -1, "totalFloatingIpsUsed": 0,
                             "totalSecurityGroupsUsed": 0})
        resp.media = {"limits": {"rate": [], "absolute": absolute}}
