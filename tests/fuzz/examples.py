"""A valid body for every route that takes one, the seed the fuzzer mutates: a field at
a time replaced by a hostile value, dropped, or joined by an unknown one. Random JSON
alone hardly ever gets past a handler's first check; a mutated valid body reaches the
storage, the URLs and the renderers behind it. ``{pool}`` strings name a real id."""

AUTH = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": "fuzz-throwaway", "domain": {"id": "default"}, "password": "x-secret"}}},
    "scope": {"project": {"id": "{project_id}"}}}}
METADATA = {"metadata": {"k": "v", "other": "w"}}

COMPUTE_ACTIONS = [
    {"os-getConsoleOutput": {"length": 10}}, {"createImage": {"name": "i", "metadata": {}}},
    {"os-stop": None}, {"os-start": None}, {"reboot": {"type": "SOFT"}},
    {"rebuild": {"imageRef": "{image_id}", "name": "r"}}, {"lock": {"locked_reason": "r"}},
]
VOLUME_ACTIONS = [{"os-extend": {"new_size": 2}}, {"os-reset_status": {"status": "available"}},
                  {"os-set_bootable": {"bootable": True}}]

_VOLUME = {
    ("POST", "/volumes"): [{"volume": {"size": 1, "name": "v", "metadata": {"k": "v"}}}],
    ("PUT", "/volumes/{volume_id}"): [{"volume": {"name": "n", "description": "d"}}],
    ("POST", "/volumes/{volume_id}/action"): VOLUME_ACTIONS,
    ("POST", "/volumes/{volume_id}/metadata"): [METADATA],
    ("PUT", "/volumes/{volume_id}/metadata"): [METADATA],
    ("POST", "/snapshots"): [{"snapshot": {"volume_id": "{volume_id}", "name": "s",
                                           "metadata": {"k": "v"}, "force": True}}],
    ("PUT", "/snapshots/{snapshot_id}"): [{"snapshot": {"name": "n"}}],
    ("POST", "/snapshots/{snapshot_id}/action"): [
        {"os-reset_status": {"status": "available"}}],
    ("POST", "/types"): [{"volume_type": {"name": "t", "extra_specs": {"k": "v"}}}],
    ("PUT", "/os-quota-sets/{target_project_id}"): [
        {"quota_set": {"volumes": 10, "gigabytes": 100, "snapshots": 10}}],
    ("POST", "/attachments"): [{"attachment": {"volume_uuid": "{volume_id}",
                                               "instance_uuid": "{server_id}"}}],
    ("PUT", "/attachments/{attachment_id}"): [{"attachment": {"connector": {"host": "h"}}}],
}

EXAMPLES = {
    ("/identity", "/v3/auth/tokens", "POST"): [AUTH],
    ("/identity", "/v3/projects", "POST"): [{"project": {
        "name": "p", "domain_id": "default", "description": "d", "enabled": True}}],
    ("/identity", "/v3/projects/{project_id}", "PATCH"): [{"project": {"description": "d"}}],
    ("/identity", "/v3/users", "POST"): [{"user": {
        "name": "u", "domain_id": "default", "password": "p", "enabled": True}}],
    ("/identity", "/v3/users/{user_id}", "PATCH"): [{"user": {"description": "d"}}],
    ("/identity", "/v3/users/{user_id}/password", "POST"): [{"user": {
        "password": "x-secret", "original_password": "x-secret"}}],
    ("/identity", "/v3/roles", "POST"): [{"role": {"name": "r"}}],
    ("/image", "/v2/images", "POST"): [{
        "name": "i", "disk_format": "qcow2", "container_format": "bare", "min_disk": 1,
        "min_ram": 1, "tags": ["t"], "visibility": "private", "custom": "v"}],
    ("/image", "/v2/images/{image_id}", "PATCH"): [
        [{"op": "replace", "path": "/name", "value": "n"},
         {"op": "add", "path": "/custom", "value": "v"}]],
    ("/image", "/v2/images/{image_id}/members", "POST"): [{"member": "{member_id}"}],
    ("/image", "/v2/images/{image_id}/members/{member_id}", "PUT"): [{"status": "accepted"}],
    ("/image", "/v2/images/{image_id}/import", "POST"): [
        {"method": {"name": "web-download", "uri": "http://127.0.0.1:1/x.qcow2"}}],
    ("/compute", "/v2.1/servers", "POST"): [{"server": {
        "name": "s", "imageRef": "{image_id}", "flavorRef": "{flavor_id}",
        "networks": "none", "metadata": {"k": "v"}, "min_count": 1, "user_data": "aGk="}}],
    ("/compute", "/v2.1/servers/{server_id}", "PUT"): [{"server": {"name": "n"}}],
    ("/compute", "/v2.1/servers/{server_id}/action", "POST"): COMPUTE_ACTIONS,
    ("/compute", "/v2.1/servers/{server_id}/metadata", "POST"): [METADATA],
    ("/compute", "/v2.1/servers/{server_id}/metadata", "PUT"): [METADATA],
    ("/compute", "/v2.1/servers/{server_id}/metadata/{key}", "PUT"): [{"meta": {"k": "v"}}],
    ("/compute", "/v2.1/servers/{server_id}/os-volume_attachments", "POST"): [
        {"volumeAttachment": {"volumeId": "{volume_id}"}}],
    ("/compute", "/v2.1/flavors", "POST"): [{"flavor": {
        "name": "f", "ram": 64, "vcpus": 1, "disk": 1, "swap": 0, "rxtx_factor": 1.0}}],
    ("/compute", "/v2.1/flavors/{flavor_id}", "PUT"): [{"flavor": {"description": "d"}}],
    ("/compute", "/v2.1/flavors/{flavor_id}/os-extra_specs", "POST"): [
        {"extra_specs": {"hw:cpu_policy": "dedicated"}}],
    ("/compute", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", "PUT"): [{"k": "v"}],
    ("/compute", "/v2.1/os-keypairs", "POST"): [{"keypair": {"name": "k"}}],
    ("/compute", "/v2.1/os-quota-sets/{project_id}", "PUT"): [
        {"quota_set": {"instances": 10, "cores": 20, "ram": 51200}}],
    ("/compute", "/v2.1/os-server-groups", "POST"): [
        {"server_group": {"name": "g", "policy": "affinity"}}],
    ("/compute", "/v2.1/os-services/{service_id}", "PUT"): [{"status": "enabled"}],
    ("/compute", "/v2.1/os-aggregates", "POST"): [
        {"aggregate": {"name": "a", "availability_zone": "z"}}],
    ("/compute", "/v2.1/os-aggregates/{aggregate_id}", "PUT"): [{"aggregate": {"name": "b"}}],
    ("/compute", "/v2.1/os-aggregates/{aggregate_id}/action", "POST"): [
        {"set_metadata": {"metadata": {"k": "v"}}}],
    ("/networking", "/v2.0/networks", "POST"): [
        {"network": {"name": "n", "admin_state_up": True, "mtu": 1400}}],
    ("/networking", "/v2.0/networks/{network_id}", "PUT"): [{"network": {"name": "m"}}],
    ("/networking", "/v2.0/subnets", "POST"): [{"subnet": {
        "network_id": "{network_id}", "cidr": "10.88.0.0/24", "ip_version": 4,
        "dns_nameservers": ["10.88.0.2"], "host_routes": []}}],
    ("/networking", "/v2.0/subnets/{subnet_id}", "PUT"): [{"subnet": {"name": "s"}}],
    ("/networking", "/v2.0/ports", "POST"): [{"port": {
        "network_id": "{network_id}", "name": "p", "fixed_ips": [{"subnet_id": "{subnet_id}"}],
        "binding:profile": {}}}],
    ("/networking", "/v2.0/ports/{port_id}", "PUT"): [{"port": {"name": "p"}}],
    ("/networking", "/v2.0/quotas/{project_id}", "PUT"): [
        {"quota": {"network": 10, "port": 50, "subnet": 10}}],
    **{("/volume", prefix + path, method): bodies
       for (method, path), bodies in _VOLUME.items() for prefix in ("/v3", "/v3/{project_id}")},
}


def fill(value, pools):
    """``value`` with every ``{pool}`` string replaced by that pool's first id."""
    if isinstance(value, dict):
        return {key: fill(item, pools) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, pools) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        ids = pools.get(value[1:-1])
        return ids[0] if ids else value
    return value


def paths(value, prefix=()):
    """Every position in ``value``: tuples of keys and indexes, the root first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, prefix + (index,))
    return found


def replaced(value, path, new):
    """A copy of ``value`` with the item at ``path`` replaced (``new`` is a function of
    the old item; returning ``DROP`` deletes it)."""
    if not path:
        return new(value)
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        result = replaced(copy[head], rest, new)
        if result is DROP:
            del copy[head]
        else:
            copy[head] = result
        return copy
    copy = list(value)
    result = replaced(copy[head], rest, new)
    if result is DROP:
        del copy[head]
    else:
        copy[head] = result
    return copy


DROP = object()
