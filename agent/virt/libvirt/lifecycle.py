"""Power and lifecycle of a libvirt guest: stop (ACPI, then hard), start, reboot,
pause, suspend (libvirt's managed save), resume, and its power state."""
import logging
import time

import libvirt

from agent.virt import driver
from agent.virt.libvirt import power

LOG = logging.getLogger(__name__)

POLL_SECONDS = 0.5


def is_error(exc, *codes):
    """Whether ``exc`` is a libvirt error of one of ``codes``."""
    return isinstance(exc, libvirt.libvirtError) and exc.get_error_code() in codes


class GuestLifecycle:
    """Mixed into ``LibvirtDriver`` (``conf``, ``_domain``)."""

    @staticmethod
    def _hard_stop(dom):
        try:
            dom.destroy()
        except libvirt.libvirtError as exc:
            # Already off (or gone) is what we wanted.
            if not is_error(exc, libvirt.VIR_ERR_OPERATION_INVALID,
                            libvirt.VIR_ERR_NO_DOMAIN):
                raise

    @staticmethod
    def _shut_down(dom, timeout):
        """Ask the guest to power off (ACPI) and wait up to ``timeout`` seconds; True if
        it did."""
        try:
            dom.shutdown()
        except libvirt.libvirtError as exc:
            if is_error(exc, libvirt.VIR_ERR_OPERATION_INVALID):
                return not dom.isActive()
            raise
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not dom.isActive():
                return True
            time.sleep(POLL_SECONDS)
        return not dom.isActive()

    def power_off(self, instance, timeout=0):
        dom = self._domain(instance)
        if not dom.isActive():
            return
        if timeout and self._shut_down(dom, timeout):
            return
        self._hard_stop(dom)

    def power_on(self, context, instance, network_info, block_device_info=None):
        dom = self._domain(instance)
        if not dom.isActive():
            dom.create()

    def reboot(self, context, instance, network_info, hard):
        """Soft: ACPI power-off, then start again; a guest that ignores it for
        ``[agent] shutdown_timeout`` seconds is reset instead. Hard: reset."""
        dom = self._domain(instance)
        if dom.isActive():
            if hard or not self._shut_down(dom, self.conf.agent.shutdown_timeout):
                if not hard:
                    LOG.warning("Guest %s ignored the soft reboot; resetting it", dom.name())
                self._hard_stop(dom)
        dom.create()

    @staticmethod
    def _change(dom, doing, change):
        """``change(dom)``, a libvirt error becoming the VirtError of ``doing``."""
        try:
            change(dom)
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"{doing} {dom.name()} failed: {exc}") from exc

    def pause(self, instance):
        self._change(self._domain(instance), "Pausing", lambda dom: dom.suspend())

    def unpause(self, instance):
        self._change(self._domain(instance), "Unpausing", lambda dom: dom.resume())

    def suspend(self, instance):
        """libvirt's managed save: the memory goes to a file libvirt keeps for the
        domain, QEMU exits; the next start restores it (``destroy`` removes the file
        with the domain)."""
        self._change(self._domain(instance), "Suspending", lambda dom: dom.managedSave(0))

    def resume(self, instance):
        dom = self._domain(instance)
        if not dom.isActive():
            # Starting the domain restores the managed save.
            self._change(dom, "Resuming", lambda dom: dom.create())

    def get_power_state(self, instance):
        try:
            return power.from_domain_state(*self._domain(instance).state())
        except libvirt.libvirtError as exc:
            if not is_error(exc, libvirt.VIR_ERR_NO_DOMAIN):
                raise
            raise driver.InstanceNotOnHost(f"The guest of {instance['uuid']} is gone.") from exc
