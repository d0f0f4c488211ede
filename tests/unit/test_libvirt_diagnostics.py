"""A libvirt guest's diagnostics in Nova's standard form, from the domain's counters."""
import libvirt

from agent.virt.libvirt import diagnostics

XML = """<domain type='qemu'><devices>
  <disk type='file' device='disk'><target dev='vda' bus='virtio'/></disk>
  <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>
  <interface type='bridge'><mac address='fa:16:3e:00:00:01'/><target dev='tap1'/></interface>
</devices></domain>"""


class Domain:
    def __init__(self, active=True):
        self.active = active

    def info(self):
        state = libvirt.VIR_DOMAIN_RUNNING if self.active else libvirt.VIR_DOMAIN_SHUTOFF
        return state, 131072, 131072, 2, 5_000_000

    def isActive(self):
        return self.active

    def XMLDesc(self, flags):
        return XML

    def vcpus(self):
        return [(0, 1, 3_000, 0), (1, 1, 2_000, 0)], [(True,), (True,)]

    def memoryStats(self):
        return {"actual": 131072, "unused": 65536, "rss": 100000}

    def interfaceStats(self, dev):
        assert dev == "tap1"
        return (100, 2, 0, 1, 200, 3, 0, 0)

    def blockStats(self, dev):
        return {"vda": (4, 4096, 5, 8192, 0), "sda": (1, 512, 0, 0, 0)}[dev]


def test_a_running_guests_counters():
    found = diagnostics.of(Domain(), "qemu", 42, True)
    assert (found["state"], found["driver"], found["hypervisor"], found["uptime"],
            found["config_drive"], found["num_cpus"], found["num_nics"],
            found["num_disks"]) == ("running", "libvirt", "qemu", 42, True, 2, 1, 2)
    assert found["memory_details"] == {"maximum": 128, "used": 64}
    assert found["cpu_details"] == [{"id": 0, "time": 3000, "utilisation": None},
                                    {"id": 1, "time": 2000, "utilisation": None}]
    [nic] = found["nic_details"]
    assert (nic["device"], nic["mac_address"], nic["rx_octets"], nic["rx_drop"],
            nic["tx_packets"]) == ("tap1", "fa:16:3e:00:00:01", 100, 1, 3)
    assert [(d["device"], d["read_bytes"], d["write_requests"])
            for d in found["disk_details"]] == [("vda", 4096, 5), ("sda", 512, 0)]


def test_a_stopped_guest_has_no_counters():
    found = diagnostics.of(Domain(active=False), "qemu", None, False)
    assert found["state"] == "shutdown" and found["cpu_details"] == []
    assert found["memory_details"] == {"maximum": 128, "used": None}
    assert found["nic_details"][0]["rx_octets"] is None
    assert found["disk_details"][0]["errors_count"] is None
