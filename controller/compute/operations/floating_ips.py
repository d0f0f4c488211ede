"""Floating IPs through compute: the ``addFloatingIp``/``removeFloatingIp`` server actions
and the ``os-floating-ips`` proxy, which Nova keeps for clients older than
microversions 2.44 and 2.36. Like Nova, compute does nothing itself: it asks the network
service with the caller's token, then refreshes the server's network info from it, where
the server's ``addresses`` show the floating address (``OS-EXT-IPS:type`` floating).
"""
from controller.api import errors
from controller.compute.operations.external_events import refresh_network_info
from controller.compute.operations.servers import authorized


class FloatingIpProxy:
    def __init__(self, svc):
        self.svc = svc
        self.network = svc.network

    def _server(self, auth, server_id, authorize):
        """The caller's server, once ``authorize`` (the handler's policy check) allowed
        acting on it."""
        with self.svc.db.session() as session:
            return authorized(session, auth, server_id, authorize)

    # --- the network service, with the caller's token -------------------------------

    def _call(self, method, path, token, what, **kwargs):
        resp = self.network._request(method, path, token, **kwargs)
        if resp.status_code >= 400:
            try:
                message = resp.json()["NeutronError"]["message"]
            except (ValueError, KeyError, TypeError):
                message = resp.text[:200]
            raise _NetworkError(resp.status_code, message, what)
        return resp.json() if resp.text else None

    def _by_address(self, token, address):
        found = self._call("GET", "/floatingips", token, "floating IPs",
                           params={"floating_ip_address": address})["floatingips"]
        if not found:
            raise errors.NotFound(f"floating IP not found for address {address}")
        return found[0]

    # --- server actions ---------------------------------------------------------------

    def add(self, auth, server_id, authorize, address, fixed_address=None):
        """Associate ``address`` with the server's port holding ``fixed_address`` (its
        first IPv4 address when not given)."""
        instance = self._server(auth, server_id, authorize)
        fip = self._by_address(auth.token, address)
        ports = self._call("GET", "/ports", auth.token, "ports",
                           params={"device_id": instance.uuid})["ports"]
        candidates = [(port, ip["ip_address"]) for port in ports
                      for ip in port["fixed_ips"] if ":" not in ip["ip_address"]]
        if not candidates:
            raise errors.BadRequest(f"Unable to associate floating IP {address} to any "
                                    f"fixed IPs for instance {instance.uuid}. Instance "
                                    f"has no fixed IPv4 addresses to associate.")
        if fixed_address is not None:
            candidates = [c for c in candidates if c[1] == fixed_address]
            if not candidates:
                raise errors.BadRequest("Specified fixed address not assigned to instance")
        port, fixed = candidates[0]
        try:
            self._call("PUT", f"/floatingips/{fip['id']}", auth.token, "floating IP",
                       json={"floatingip": {"port_id": port["id"],
                                            "fixed_ip_address": fixed}})
        except _NetworkError as exc:
            raise errors.BadRequest(f"Unable to associate floating IP {address} to fixed "
                                    f"IP {fixed} for instance {instance.uuid}. Error: "
                                    f"{exc.message}") from None
        refresh_network_info(self.svc, auth.token, instance.uuid)

    def remove(self, auth, server_id, authorize, address):
        instance = self._server(auth, server_id, authorize)
        fip = self._by_address(auth.token, address)
        ports = {port["id"] for port in self._call(
            "GET", "/ports", auth.token, "ports",
            params={"device_id": instance.uuid})["ports"]}
        if fip["port_id"] not in ports:
            raise errors.Conflict(f"Floating IP {address} is not associated with instance "
                                  f"{instance.uuid}.")
        self._call("PUT", f"/floatingips/{fip['id']}", auth.token, "floating IP",
                   json={"floatingip": {"port_id": None}})
        refresh_network_info(self.svc, auth.token, instance.uuid)

    # --- os-floating-ips ----------------------------------------------------------------

    def _pools(self, token):
        return {network["id"]: network["name"] for network in self._call(
            "GET", "/networks", token, "networks",
            params={"router:external": "true"})["networks"]}

    def _view(self, fip, pools, token):
        instance_id = None
        if fip["port_id"]:
            port = self._call("GET", f"/ports/{fip['port_id']}", token, "port")["port"]
            instance_id = port["device_id"] or None
        return {"id": fip["id"], "ip": fip["floating_ip_address"],
                "fixed_ip": fip["fixed_ip_address"], "instance_id": instance_id,
                "pool": pools.get(fip["floating_network_id"], fip["floating_network_id"])}

    def list(self, auth):
        pools = self._pools(auth.token)
        return [self._view(fip, pools, auth.token) for fip in self._call(
            "GET", "/floatingips", auth.token, "floating IPs")["floatingips"]]

    def show(self, auth, floating_ip_id):
        try:
            fip = self._call("GET", f"/floatingips/{floating_ip_id}", auth.token,
                             "floating IP")["floatingip"]
        except _NetworkError as exc:
            if exc.status == 404:
                raise errors.NotFound(f"Floating IP not found for ID {floating_ip_id}"
                                      ) from None
            raise
        return self._view(fip, self._pools(auth.token), auth.token)

    def allocate(self, auth, pool=None):
        pools = self._pools(auth.token)
        pool = pool or self.svc.conf.compute.default_floating_pool
        network_id = next((nid for nid, name in pools.items() if pool in (nid, name)), None)
        if network_id is None:
            raise errors.NotFound("Floating IP pool not found.")
        try:
            fip = self._call("POST", "/floatingips", auth.token, "floating IP",
                             json={"floatingip": {"floating_network_id": network_id}}
                             )["floatingip"]
        except _NetworkError as exc:
            if exc.status == 409 and "Quota" in exc.message:
                raise errors.Forbidden(f"IP allocation over quota in pool {pool}."
                                       ) from None
            if exc.status == 409:
                raise errors.NotFound(f"No more floating IPs in pool {pool}.") from None
            raise
        return self._view(fip, pools, auth.token)

    def release(self, auth, floating_ip_id):
        try:
            self._call("DELETE", f"/floatingips/{floating_ip_id}", auth.token,
                       "floating IP")
        except _NetworkError as exc:
            if exc.status == 404:
                raise errors.NotFound(f"Floating IP not found for ID {floating_ip_id}"
                                      ) from None
            raise


class _NetworkError(errors.ApiError):
    """The network service refused; the proxy turns it into Nova's answer."""

    def __init__(self, status, message, what):
        super().__init__(f"The network service answered {status} for {what}: {message}")
        self.status = status if status < 500 else 503
        self.message = message
