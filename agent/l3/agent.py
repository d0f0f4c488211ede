"""The L3 role of a host (``[l3] enabled``): every router of the cloud gets a
``qrouter-`` namespace here, kept in step with the network API by a periodic sync, as
Neutron's L3 agent keeps its routers (one L3 host per cloud; it reaches guests on other
hosts over the tenant networks' VXLAN like any port bound here).

A router's ports are plugged like a guest's (``NetworkPlugger``: bound to this host,
bridge and VXLAN built, peers learnt), so the network's bridge lives while a guest or a
router uses it. Which ports each router had is kept in ``<state_path>/l3/<id>.json``, so
that a deleted router (whose ports the API no longer lists) is still taken down
completely, also after a restart.
"""
import contextlib
import glob
import json
import logging
import os

from agent.l3 import namespace, plan as plan_module
from agent.network.plug import NetworkPlugger

LOG = logging.getLogger(__name__)

ROUTER_OWNERS = (plan_module.ROUTER_INTERFACE, plan_module.ROUTER_GATEWAY)


class L3Agent:
    def __init__(self, conf, plugger=None):
        self.conf = conf
        self.plugger = plugger or NetworkPlugger(conf)
        self.state_dir = os.path.join(conf.state_path, "l3")
        # Plans applied by this process; ports plugged by it (once each, so that a
        # restarted host rebuilds bridges it lost).
        self._applied = {}
        self._plugged = {}

    # --- the routers this host built -------------------------------------------------

    def _state_file(self, router_id):
        return os.path.join(self.state_dir, f"{router_id}.json")

    def built_routers(self):
        return {os.path.basename(path)[:-len(".json")]
                for path in glob.glob(os.path.join(self.state_dir, "*.json"))}

    def _port_ids(self, router_id):
        try:
            with open(self._state_file(router_id)) as f:
                return set(json.load(f)["ports"])
        except FileNotFoundError:
            return set()

    def _save(self, router_id, port_ids):
        os.makedirs(self.state_dir, exist_ok=True)
        tmp = self._state_file(router_id) + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"ports": sorted(port_ids)}, f)
        os.replace(tmp, self._state_file(router_id))

    # --- sync ---------------------------------------------------------------------------

    def sync(self, client):
        """Build, change or remove routers until this host matches the API. ``client``:
        a NetworkClient of the agent's service user (an admin, which sees every
        project's routers)."""
        routers = {router["id"]: router for router in client.list_routers()}
        ports = [port for owner in ROUTER_OWNERS
                 for port in client.list_ports(device_owner=owner)]
        subnets = {subnet["id"]: subnet for subnet in client.list_subnets()}
        floating_ips = client.list_floating_ips()
        for router_id in sorted(self.built_routers() - set(routers)):
            try:
                self.remove_router(router_id)
            except Exception:
                LOG.exception("router %s could not be removed; retrying at the next "
                              "sync", router_id)
        for router_id, router in sorted(routers.items()):
            own = [port for port in ports if port["device_id"] == router_id]
            fips = [fip for fip in floating_ips if fip["router_id"] == router_id]
            try:
                # A router set down keeps its ports wired here (ACTIVE, as Neutron's
                # router ports are once bound) but forwards nothing: no namespace.
                plan = (plan_module.plan_router(router, own, subnets, fips)
                        if router["admin_state_up"] else None)
                self._sync_router(client, router_id, plan, own)
            except Exception:
                LOG.exception("router %s could not be built; retrying at the next sync",
                              router_id)
                self._applied.pop(router_id, None)

    def _sync_router(self, client, router_id, plan, ports):
        """Wire ``ports`` here and make the router's namespace ``plan`` (None: no
        namespace)."""
        previous = self._port_ids(router_id)
        current = {port["id"] for port in ports}
        self._save(router_id, previous | current)
        for port in ports:
            if port["id"] not in self._plugged:
                wired = self.plugger.plug(port, client)
                self._plugged[port["id"]] = (wired["bridge"], wired["mtu"])
        name = plan_module.namespace_name(router_id)
        if plan is None:
            if (self._applied.pop(router_id, None) is not None
                    or name in namespace.existing_namespaces()):
                namespace.destroy(name)
        elif self._applied.get(router_id) != plan:
            namespace.apply(plan, self._plugged)
            self._applied[router_id] = plan
        for port_id in previous - current:
            self._unplug(port_id)
        self._save(router_id, current)

    def _unplug(self, port_id):
        self._plugged.pop(port_id, None)
        self.plugger.unplug(port_id)

    def remove_router(self, router_id):
        """Take a router down completely: namespace, then its ports' host side."""
        namespace.destroy(plan_module.namespace_name(router_id))
        for port_id in self._port_ids(router_id):
            self._unplug(port_id)
        self._applied.pop(router_id, None)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._state_file(router_id))
        LOG.info("router %s removed from this host", router_id)

    def remove_all(self):
        """Every router this host built (others' namespaces, say another cloud's on
        this machine, stay)."""
        for router_id in sorted(self.built_routers()):
            self.remove_router(router_id)
