from controller.scheduler.filters.base import BaseHostFilter
from controller.scheduler.host_state import canonical_arch


class ImagePropertiesFilter(BaseHostFilter):
    """Only hosts that can run the image: its ``hw_architecture`` (or legacy
    ``architecture``) matches the host's CPU, its ``img_hv_type`` (or legacy
    ``hypervisor_type``) the host's hypervisor. Images that name neither run anywhere."""

    def filter_mask(self, hosts, spec):
        props = spec.image_properties
        mask = hosts.all()
        arch = props.get("hw_architecture") or props.get("architecture")
        if arch:
            mask &= hosts.cpu_arch == canonical_arch(arch)
        hv_type = props.get("img_hv_type") or props.get("hypervisor_type")
        if hv_type:
            mask &= hosts.hypervisor_type == hv_type.strip().lower()
        return mask
