"""The checks every move of a server passes before it changes anything (resize,
migrations, evacuation, shelving, rescue): the services that carry it out run a
release that knows how (``check_can_send``: 409 when ``[upgrade_levels]`` caps them
below), and the server has nothing this cloud cannot move (volumes, except for a
resize, a cold migration, an evacuation or shelving — not for a live migration — and
a root volume for shelving: 400)."""
from contract import exception


def check_movable(handles, instance, action, agent_method, conductor_method=None,
                  needs_image=False, moves_volumes=False):
    """Refuse ``action`` on ``instance`` unless the agents can be sent
    ``agent_method`` (and the conductor ``conductor_method``) and the server has no
    volumes (unless ``moves_volumes``: then the agents must know how) and,
    ``needs_image``, boots from an image."""
    handles.agents.check_can_send(agent_method)
    if conductor_method:
        handles.conductor.check_can_send(conductor_method)
    has_volumes = any(bdm.volume_id for bdm in instance.block_device_mappings)
    if needs_image and not instance.image_ref or has_volumes and not moves_volumes:
        raise exception.InvalidRequest(
            f"Cannot '{action}' instance {instance.uuid}: it has volumes, which this "
            f"cloud cannot move yet.")
    if has_volumes:
        handles.agents.check_can_move_volumes()
