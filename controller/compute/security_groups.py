"""Compute's side of security groups: Nova's ``security_groups`` of a server are its
ports' groups in the network service, read and changed there with the caller's token
(as Nova's neutron security group API does); nothing is stored in compute.

Nova's view of a group lists its ingress rules only, in Nova's rule shape
(``ip_protocol``, ``from_port``/``to_port``, ``ip_range`` or ``group``).
"""
import uuid

from contract import exception
from controller.api import errors

DEFAULT_CIDR = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


class SecurityGroupAPI:
    """``network``: the compute API's ``NetworkAPI`` (its ``client`` speaks HTTP, or
    in-process when this process serves networking too)."""

    def __init__(self, network):
        self.client = network.client
        self.local = network.local_sibling()

    def _call(self, method, path, token, what, **kwargs):
        resp = self.client.request(method, f"/v2.0{path}", token, **kwargs)
        if resp.status_code < 400:
            return resp.json() if resp.status_code != 204 else None
        try:
            error = resp.json()["NeutronError"]
            message, error_type = error["message"], error["type"]
        except (ValueError, KeyError, TypeError):
            message, error_type = resp.text[:200], ""
        if resp.status_code == 404:
            raise errors.NotFound(message)
        if error_type == "OverQuota":
            raise errors.Forbidden(f"Quota exceeded, too many {what}.")
        if resp.status_code in (400, 409):
            raise errors.BadRequest(message)
        raise exception.ServiceUnavailable(
            f"The network service answered {resp.status_code} for {what}: {message}")

    # --- groups -----------------------------------------------------------------------

    def find(self, token, project_id, name_or_id):
        """The project's group with this ID or name (Nova's rules: 404 for none, 409 when
        a name is not unique)."""
        scope = {"project_id": project_id} if project_id else {}
        if _looks_like_uuid(name_or_id):
            found = self.list(token, id=name_or_id, **scope)
            if found:
                return found[0]
        found = self.list(token, name=name_or_id, **scope)
        if not found:
            raise errors.NotFound(f"Security group {name_or_id} not found.")
        if len(found) > 1:
            raise errors.Conflict(f"Multiple security groups found matching "
                                  f"'{name_or_id}'. Use an ID to be more specific.")
        return found[0]

    def resolve(self, token, project_id, requested):
        """The group IDs of a server create's ``security_groups`` ([{"name": ...}]);
        a name or ID not found is Nova's 400."""
        ids = []
        for entry in requested or ():
            try:
                ids.append(self.find(token, project_id, entry["name"])["id"])
            except errors.NotFound:
                raise errors.BadRequest(f"Security group {entry['name']} not found.") from None
        return list(dict.fromkeys(ids))

    def list(self, token, **params):
        return self._call("GET", "/security-groups", token, "security groups",
                          params=params)["security_groups"]

    def show(self, token, group_id):
        try:
            return self._call("GET", f"/security-groups/{group_id}", token,
                              "security group")["security_group"]
        except errors.NotFound:
            raise errors.NotFound(f"Security group {group_id} not found.") from None

    def create(self, token, name, description):
        return self._call("POST", "/security-groups", token, "security groups",
                          json={"security_group": {"name": name,
                                                   "description": description}})[
            "security_group"]

    def update(self, token, group_id, name, description):
        return self._call("PUT", f"/security-groups/{group_id}", token, "security groups",
                          json={"security_group": {"name": name,
                                                   "description": description}})[
            "security_group"]

    def delete(self, token, group_id):
        self.show(token, group_id)
        self._call("DELETE", f"/security-groups/{group_id}", token, "security groups")

    def create_rule(self, token, rule):
        return self._call("POST", "/security-group-rules", token, "security group rules",
                          json={"security_group_rule": rule})["security_group_rule"]

    def delete_rule(self, token, rule_id):
        try:
            self._call("DELETE", f"/security-group-rules/{rule_id}", token,
                       "security group rules")
        except errors.NotFound:
            raise errors.NotFound(f"Security group rule {rule_id} not found.") from None

    # --- servers' groups --------------------------------------------------------------

    def ports_of(self, token, server_ids):
        if not server_ids:
            return []
        return self._call("GET", "/ports", token, "ports",
                          params={"device_id": list(server_ids)})["ports"]

    def of_servers(self, auth, server_ids):
        """{server id: [{"name": ...}]} from their ports' groups, for server views (the
        network service's in-process interface when it is served here: every show asks)."""
        if not server_ids:
            return {}
        if self.local is not None:
            ports = self.local.ports_security_groups(auth, server_ids)
        else:
            ports = self.ports_of(auth.token, server_ids)
        group_ids = sorted({g for port in ports for g in port.get("security_groups", ())})
        names = {}
        if group_ids and self.local is not None:
            names = self.local.group_names(auth, group_ids)
        elif group_ids:
            names = {g["id"]: g["name"] for g in self.list(auth.token, id=group_ids,
                                                           fields=["id", "name"])}
        result = {}
        for port in ports:
            listed = result.setdefault(port["device_id"], [])
            for group_id in port.get("security_groups", ()):
                entry = {"name": names.get(group_id, group_id)}
                if entry not in listed:
                    listed.append(entry)
        return result

    def server_groups(self, token, server_id):
        """The groups of the server's ports, in Nova's format."""
        ports = self.ports_of(token, [server_id])
        group_ids = sorted({g for port in ports for g in port.get("security_groups", ())})
        if not group_ids:
            return []
        return [nova_group(group, self._remote_names(token, [group]))
                for group in self.list(token, id=group_ids)]

    def _remote_names(self, token, groups):
        remote_ids = sorted({rule["remote_group_id"] for group in groups
                             for rule in group["security_group_rules"]
                             if rule.get("remote_group_id")})
        if not remote_ids:
            return {}
        return {g["id"]: g for g in self.list(token, id=remote_ids)}

    def nova_groups(self, token, groups):
        remotes = self._remote_names(token, groups)
        return [nova_group(group, remotes) for group in groups]

    def change_server(self, token, project_id, server_id, name, add):
        """addSecurityGroup / removeSecurityGroup on every port of the server."""
        group = self.find(token, project_id, name) if add else self._find_for_removal(
            token, project_id, server_id, name)
        ports = self.ports_of(token, [server_id])
        if not ports:
            raise errors.NotFound(f"instance_id {server_id} could not be found as device "
                                  f"id on any ports")
        for port in ports:
            groups = list(port.get("security_groups", ()))
            if add:
                if group["id"] in groups:
                    raise errors.BadRequest(f"Security group {name} is already associated "
                                            f"with the instance {server_id}")
                if port.get("port_security_enabled") is False:
                    raise errors.BadRequest(f"Network requires port_security_enabled and "
                                            f"subnet associated in order to apply "
                                            f"security groups.")
                groups.append(group["id"])
            else:
                groups = [g for g in groups if g != group["id"]]
            self._call("PUT", f"/ports/{port['id']}", token, "ports",
                       json={"port": {"security_groups": groups}})

    def _find_for_removal(self, token, project_id, server_id, name):
        try:
            group = self.find(token, project_id, name)
        except errors.NotFound:
            raise errors.NotFound(f"Security group {name} not found.") from None
        ports = self.ports_of(token, [server_id])
        if not any(group["id"] in port.get("security_groups", ()) for port in ports):
            raise errors.BadRequest(f"Security group {name} not associated with the "
                                    f"instance {server_id}")
        return group


def _looks_like_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def nova_rule(rule, remotes):
    """A Neutron rule in Nova's shape."""
    protocol = rule.get("protocol")
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if protocol and low is None and high is None:
        low, high = (1, 65535) if protocol.upper() in ("TCP", "UDP") else (-1, -1)
    view = {"id": rule["id"], "parent_group_id": rule["security_group_id"],
            "ip_protocol": protocol, "from_port": low, "to_port": high,
            "group": {}, "ip_range": {}}
    if rule.get("remote_group_id"):
        remote = remotes.get(rule["remote_group_id"], {})
        view["group"] = {"name": remote.get("name"), "tenant_id": remote.get("project_id")}
    else:
        view["ip_range"] = {"cidr": rule.get("remote_ip_prefix")
                            or DEFAULT_CIDR[rule["ethertype"]]}
    return view


def nova_group(group, remotes):
    """A Neutron group in Nova's shape: its ingress rules only."""
    return {"id": group["id"], "name": group["name"], "description": group["description"],
            "tenant_id": group["project_id"],
            "rules": [nova_rule(rule, remotes) for rule in group["security_group_rules"]
                      if rule["direction"] == "ingress"]}
