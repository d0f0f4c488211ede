"""The checks every move of a server passes before it changes anything (resize,
migrations, evacuation, shelving, rescue): the services that carry it out run a
release that knows how (``check_can_send``: 409 when ``[upgrade_levels]`` caps them
below), and the server has nothing this cloud cannot move (volumes: 400)."""
from contract import exception


def check_movable(handles, instance, action, agent_method, conductor_method=None,
                  needs_image=False):
    """Refuse ``action`` on ``instance`` unless the agents can be sent
    ``agent_method`` (and the conductor ``conductor_method``) and the server has no
    volumes (and, ``needs_image``, boots from an image)."""
    handles.agents.check_can_send(agent_method)
    if conductor_method:
        handles.conductor.check_can_send(conductor_method)
    if (needs_image and not instance.image_ref) or any(
            bdm.volume_id for bdm in instance.block_device_mappings):
        raise exception.InvalidRequest(
            f"Cannot '{action}' instance {instance.uuid}: it has volumes, which this "
            f"cloud cannot move yet.")
