"""A server's diagnostics, asked of its host's agent (Nova's server diagnostics)."""
import oslo_messaging as messaging

from contract import exception
from controller.compute import states
from controller.compute.operations.servers import authorized


def diagnostics(handles, auth, request_id, instance_uuid, authorize):
    """The guest's diagnostics in Nova's standard form, each NIC and disk also naming its
    ``device`` (``agent.virt.driver.ComputeDriver.get_diagnostics``); 409 while the
    server has no host or is being deleted, or while its agent is too old to tell."""
    with handles.db.session() as session:
        instance = authorized(session, auth, instance_uuid, authorize)
        states.check_action("get_diagnostics", instance, auth.is_admin)
        host = instance.host
    handles.agents.check_can_send("get_diagnostics")
    try:
        return handles.agents.get_diagnostics(auth.rpc_context(request_id), host,
                                              instance_uuid)
    except messaging.MessagingTimeout:
        raise exception.ServiceUnavailable(f"The agent of host {host} did not answer.") \
            from None
