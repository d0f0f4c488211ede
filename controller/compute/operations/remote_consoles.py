"""Remote consoles (Nova's ``remote-consoles``): the server's agent says where the
guest's VNC server or serial port listens, and the API hands out a one-time token for
the console proxy in the URL it returns (``console_auth``)."""
import oslo_messaging as messaging

from contract import exception
from controller.compute import console_auth, states
from controller.compute.operations.servers import authorized

# (protocol, type) → the agent's console kind, and the option group that enables it
CONSOLES = {("vnc", "novnc"): ("vnc", "vnc"),
            ("serial", "serial"): ("serial", "serial_console")}


def console_kind(conf, protocol, console_type):
    """The agent's kind of console for ``protocol`` and ``console_type`` (400 when this
    cloud does not offer it, as Nova's ConsoleTypeUnavailable/Invalid)."""
    found = CONSOLES.get((protocol, console_type))
    if found is None:
        if protocol not in {p for p, _ in CONSOLES}:
            raise exception.ConsoleTypeUnavailable(f"Unavailable console type {protocol}.")
        raise exception.ConsoleTypeUnavailable(f"Invalid console type {console_type}")
    kind, group = found
    if not getattr(conf, group).enabled:
        raise exception.ConsoleTypeUnavailable(f"Unavailable console type {console_type}.")
    return kind


class RemoteConsoles:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, RPC)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    def base_url(self, console_type):
        if console_type == "novnc":
            return self.conf.vnc.novncproxy_base_url
        return self.conf.serial_console.base_url

    def create(self, auth, request_id, instance_uuid, protocol, console_type, authorize):
        """The URL (with a new one-time token) of the server's console."""
        kind = console_kind(self.conf, protocol, console_type)
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action("get_remote_console", instance, auth.is_admin)
            host = instance.host
        agents = self.handles.agents
        agents.check_can_send("get_console_connect_info")
        try:
            info = agents.get_console_connect_info(
                auth.rpc_context(request_id), host, instance_uuid, kind,
                timeout=self.conf.compute.service_timeout)
        except messaging.MessagingTimeout:
            raise exception.ServiceUnavailable(
                f"The agent of host {host} did not answer.") from None
        with self.db.session() as session:
            token = console_auth.issue(session, instance_uuid, console_type, info,
                                       self.conf.consoleauth.token_ttl)
        return console_auth.access_url(console_type, self.base_url(console_type), token)
