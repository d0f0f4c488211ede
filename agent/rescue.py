"""The agent's part in rescuing a server (Nova's ``rescue_instance`` and
``unrescue_instance``): the guest boots a fresh disk of the rescue image with its own
disk attached second, until it is unrescued."""
from agent.events import (agent_operation, reverts_task_state, with_instance,
                          wrap_instance_event, wrap_instance_fault)
from contract import vm_states as states


class ServerRescue:
    """Mixed into ``AgentManager`` (``self.driver``, ``self.update``)."""

    @agent_operation
    @wrap_instance_event("compute_rescue_instance")
    @with_instance
    @reverts_task_state(states.RESCUING)
    @wrap_instance_fault
    def rescue_instance(self, ctxt, instance, image_meta):
        """``image_meta``: the rescue image as the image service describes it."""
        self.driver.rescue(ctxt, instance, instance["network_info"], image_meta)
        self.update(ctxt, instance["uuid"], {
            "vm_state": states.RESCUED, "task_state": None,
            "power_state": self.driver.get_power_state(instance)}, states.RESCUING)

    @agent_operation
    @wrap_instance_event("compute_unrescue_instance")
    @with_instance
    @reverts_task_state(states.UNRESCUING)
    @wrap_instance_fault
    def unrescue_instance(self, ctxt, instance):
        self.driver.unrescue(ctxt, instance, instance["network_info"])
        self.update(ctxt, instance["uuid"], {
            "vm_state": states.ACTIVE, "task_state": None,
            "power_state": self.driver.get_power_state(instance)}, states.UNRESCUING)
