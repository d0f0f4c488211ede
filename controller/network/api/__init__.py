"""The networking API (Neutron v2.0 subset), mounted at ``/networking``."""
from controller.api import app as api_app
from controller.network.agents import AgentOperations
from controller.network.api import (agents, extensions, floatingips, local, networks, ports,
                                    quotas, routers, security_groups, subnets, versions)
from controller.network.core import NetworkCore
from controller.network.floating_ips import FloatingIpOperations
from controller.network.nova_notifier import NovaNotifier
from controller.network.ports import PortOperations
from controller.network.routers import RouterOperations
from controller.network.security_groups import SecurityGroupOperations


def neutron_error(status, message, error_type):
    """Neutron's error body, which the stock clients read the message from."""
    return {"NeutronError": {"type": error_type, "message": message, "detail": ""}}


def create_app(runtime):
    core = NetworkCore(runtime.db, runtime.conf)
    groups = SecurityGroupOperations(core.run, runtime.conf.network)
    app = api_app.make_service_app(runtime, neutron_error)
    app.add_route("/", versions.Versions(runtime))
    app.add_route("/v2.0", versions.V2(runtime))
    app.add_route("/v2.0/extensions", extensions.Extensions())
    app.add_route("/v2.0/extensions/{alias}", extensions.Extension())
    app.add_route("/v2.0/networks", networks.Networks(runtime, core))
    app.add_route("/v2.0/networks/{network_id}", networks.Network(runtime, core))
    app.add_route("/v2.0/subnets", subnets.Subnets(runtime, core))
    app.add_route("/v2.0/subnets/{subnet_id}", subnets.Subnet(runtime, core))
    port_ops = PortOperations(core)
    app.add_route("/v2.0/ports", ports.Ports(runtime, core, port_ops))
    app.add_route("/v2.0/ports/{port_id}", ports.Port(runtime, core, port_ops))
    app.add_route("/v2.0/security-groups", security_groups.SecurityGroups(runtime, groups))
    app.add_route("/v2.0/security-groups/{group_id}",
                  security_groups.SecurityGroup(runtime, groups))
    app.add_route("/v2.0/security-group-rules",
                  security_groups.SecurityGroupRules(runtime, groups))
    app.add_route("/v2.0/security-group-rules/{rule_id}",
                  security_groups.SecurityGroupRule(runtime, groups))
    router_ops = RouterOperations(core)
    app.add_route("/v2.0/routers", routers.Routers(runtime, router_ops))
    app.add_route("/v2.0/routers/{router_id}", routers.Router(runtime, router_ops))
    for action in ("add_router_interface", "remove_router_interface"):
        app.add_route(f"/v2.0/routers/{{router_id}}/{action}",
                      routers.RouterInterface(runtime, router_ops, action))
    fip_ops = FloatingIpOperations(core, NovaNotifier(runtime))
    app.add_route("/v2.0/floatingips", floatingips.FloatingIps(runtime, fip_ops))
    app.add_route("/v2.0/floatingips/{floatingip_id}",
                  floatingips.FloatingIp(runtime, fip_ops))
    app.add_route("/v2.0/quotas", quotas.Quotas(runtime))
    app.add_route("/v2.0/quotas/{project_id}", quotas.Quota(runtime))
    app.add_route("/v2.0/quotas/{project_id}/default", quotas.QuotaDefault(runtime))
    app.add_route("/v2.0/quotas/{project_id}/details", quotas.QuotaDetails(runtime))
    agent_ops = AgentOperations(runtime.db, runtime.conf)
    app.add_route("/v2.0/agents", agents.Agents(runtime, agent_ops))
    app.add_route("/v2.0/agents/{agent_id}", agents.Agent(runtime, agent_ops))
    runtime.siblings["network"] = local.LocalNetwork(core, groups)
    return app
