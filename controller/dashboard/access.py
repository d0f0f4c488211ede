"""The dashboard's pages of what reaches a server: key pairs (imported, or made with
the private key shown once, in the answer to the POST, never stored or put in a URL),
security groups and their rules, floating IPs (allocated, associated with a server's
port, disassociated, released). Each a call of the public API as the signed-in user."""
import falcon

from controller.dashboard.pages import Base, done, render
from controller.dashboard.resources import text

PROTOCOLS = ("tcp", "udp", "icmp", "any")


def port_range(form):
    """{port_range_min, port_range_max} of the form: one port, "min-max" or none."""
    given = (form.get("ports") or "").strip()
    if not given:
        return {}
    low, _, high = given.partition("-")
    try:
        low, high = int(low), int(high or low)
    except ValueError:
        raise falcon.HTTPBadRequest(
            description="Ports are a number or a range such as 8000-8080.") from None
    return {"port_range_min": low, "port_range_max": high}


class Keypairs(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        self.page(req, resp, "keypairs.html", session,
                  keypairs=self.cloud(session).keypairs())

    def on_post(self, req, resp):
        session, form = self.post_session(req)
        name = text(form, "name", "The name")
        public_key = (form.get("public_key") or "").strip()
        keypair = self.cloud(session).create_keypair(name, public_key or None)
        if public_key:
            return done(req, resp, "/dashboard/keypairs")
        render(resp, "keypair_created.html", session=None, keypair=keypair)


class KeypairDelete(Base):
    def on_post(self, req, resp, name):
        session, _ = self.post_session(req)
        self.cloud(session).delete_keypair(name)
        done(req, resp, "/dashboard/keypairs")


class SecurityGroups(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        groups = self.cloud(session).security_groups()
        self.page(req, resp, "security_groups.html", session, groups=groups,
                  names={g["id"]: g["name"] for g in groups}, protocols=PROTOCOLS)

    def on_post(self, req, resp):
        session, form = self.post_session(req)
        self.cloud(session).create_security_group(text(form, "name", "The name"),
                                                  form.get("description", ""))
        done(req, resp, "/dashboard/security-groups")


class SecurityGroupDelete(Base):
    def on_post(self, req, resp, group_id):
        session, _ = self.post_session(req)
        self.cloud(session).delete_security_group(group_id)
        done(req, resp, "/dashboard/security-groups")


class SecurityGroupRules(Base):
    def on_post(self, req, resp, group_id):
        session, form = self.post_session(req)
        protocol = form.get("protocol", "any")
        if protocol not in PROTOCOLS:
            raise falcon.HTTPBadRequest(description=f"Protocol is one of {PROTOCOLS}.")
        rule = {"security_group_id": group_id, "ethertype": "IPv4",
                "direction": "egress" if form.get("direction") == "egress" else "ingress",
                "protocol": None if protocol == "any" else protocol}
        if protocol in ("tcp", "udp"):
            rule.update(port_range(form))
        if (form.get("remote_ip_prefix") or "").strip():
            rule["remote_ip_prefix"] = form["remote_ip_prefix"].strip()
        self.cloud(session).create_security_group_rule(rule)
        done(req, resp, "/dashboard/security-groups")


class SecurityGroupRuleDelete(Base):
    def on_post(self, req, resp, rule_id):
        session, _ = self.post_session(req)
        self.cloud(session).delete_security_group_rule(rule_id)
        done(req, resp, "/dashboard/security-groups")


class FloatingIps(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        cloud = self.cloud(session)
        servers = cloud.servers()
        ports = {port["id"]: port for port in cloud.ports()}
        names = {server["id"]: server["name"] for server in servers}
        self.page(req, resp, "floating_ips.html", session,
                  floating_ips=cloud.floating_ips(), servers=servers, ports=ports,
                  names=names, external=[n for n in cloud.networks()
                                         if n.get("router:external")])

    def on_post(self, req, resp):
        session, form = self.post_session(req)
        self.cloud(session).create_floating_ip(text(form, "network_id", "The network"))
        done(req, resp, "/dashboard/floating-ips")


class FloatingIpAction(Base):
    def on_post(self, req, resp, floating_ip_id, action):
        if action not in ("associate", "disassociate", "release"):
            raise falcon.HTTPNotFound()
        session, form = self.post_session(req)
        cloud = self.cloud(session)
        if action == "associate":
            server_id = text(form, "server_id", "The server")
            ports = cloud.ports(device_id=server_id)
            if not ports:
                raise falcon.HTTPConflict(
                    description="The server has no port to give a floating IP.")
            cloud.update_floating_ip(floating_ip_id, ports[0]["id"])
        elif action == "disassociate":
            cloud.update_floating_ip(floating_ip_id, None)
        else:
            cloud.delete_floating_ip(floating_ip_id)
        done(req, resp, "/dashboard/floating-ips")


ROUTES = {
    "/keypairs": Keypairs, "/keypairs/{name}/delete": KeypairDelete,
    "/security-groups": SecurityGroups,
    "/security-groups/{group_id}/delete": SecurityGroupDelete,
    "/security-groups/{group_id}/rules": SecurityGroupRules,
    "/security-group-rules/{rule_id}/delete": SecurityGroupRuleDelete,
    "/floating-ips": FloatingIps,
    "/floating-ips/{floating_ip_id}/{action}": FloatingIpAction,
}
