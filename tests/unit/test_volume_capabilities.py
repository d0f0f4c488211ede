"""Cinder's capabilities filter as the volume service applies it: which volume types the
file backend can hold."""
import pytest

from controller.volume import capabilities

CAPS = capabilities.backend_capabilities("/nonexistent")


@pytest.mark.parametrize("specs", [
    {},
    {"vendor_name": "pocketstack", "storage_protocol": "nbd"},
    {"capabilities:volume_backend_name": "files"},
    {"thin_provisioning_support": "<is> True"},
    {"multiattach": "<is> False"},
    {"storage_protocol": "<or> iSCSI <or> nbd"},
    {"vendor_name": "<in> pocket"},
    {"reserved_percentage": "<= 0"},
    {"driver_version": "s== 1.0"},
    # Other scopes are for someone else (the compute host, a vendor's driver).
    {"hw:cpu_policy": "dedicated", "qos:read_iops_sec": "100"},
])
def test_types_the_backend_holds(specs):
    assert capabilities.unmet_specs(specs, CAPS) == []


@pytest.mark.parametrize("specs, unmet", [
    ({"vendor_name": "Open Source"}, ["vendor_name"]),
    ({"storage_protocol": "iSCSI", "vendor_name": "pocketstack"}, ["storage_protocol"]),
    ({"spec1": "val1"}, ["spec1"]),                 # a capability nobody reports
    ({"multiattach": "<is> True"}, ["multiattach"]),
    ({"storage_protocol": "<or> iSCSI <or> FC"}, ["storage_protocol"]),
    ({"free_capacity_gb": ">= 1"}, ["free_capacity_gb"]),   # no directory: no space
    ({"reserved_percentage": ">= not-a-number"}, ["reserved_percentage"]),
])
def test_types_the_backend_refuses(specs, unmet):
    assert capabilities.unmet_specs(specs, CAPS) == unmet
