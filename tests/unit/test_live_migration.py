"""The decisions of a live migration, without libvirt or a cloud: whether the disks are
copied, which host is compatible, what the destination's domain XML says, the flags
and parameters libvirt gets, the progress read from a job, and when the monitor
aborts or forces completion."""
import types
import xml.etree.ElementTree as ET

import libvirt
import pytest

from agent.live_migration import decide_block_migration
from agent.storage import CONFIG_DRIVE, EPHEMERAL, ROOT, Disk
from agent.virt import driver
from agent.virt.libvirt import consoles, disk_copy, domain, migration
from contract import exception
from controller.conductor.live_migration import check_compatible
from tests.unit.test_libvirt_domain import UUID, instance, vif

INSTANCE_DIR = f"/var/lib/pocketstack/instances/{UUID}"


@pytest.mark.parametrize("requested, shared, copies", [
    ("auto", False, True), ("auto", True, False), (True, False, True),
    (False, True, False)])
def test_block_migration_follows_the_storage(requested, shared, copies):
    assert decide_block_migration(requested, shared) is copies


def test_block_migration_the_storage_cannot_allow_is_refused_with_novas_reason():
    with pytest.raises(exception.InvalidRequest, match="can not be used with shared"):
        decide_block_migration(True, True)
    with pytest.raises(exception.InvalidRequest) as caught:
        decide_block_migration(False, False)
    assert "Shared storage live-migration requires either shared storage" in str(
        caught.value)
    assert caught.value.code == 400


def node(host, arch="x86_64", hypervisor="QEMU"):
    return types.SimpleNamespace(host=host, cpu_arch=arch, hypervisor_type=hypervisor)


def test_a_destination_of_another_architecture_or_hypervisor_is_refused():
    check_compatible(node("a"), node("b"))
    check_compatible(None, node("b"))
    with pytest.raises(exception.InvalidRequest, match="CPU architecture \\(aarch64\\)"):
        check_compatible(node("a"), node("b", arch="aarch64"))
    with pytest.raises(exception.InvalidRequest, match="hypervisor type \\(fake\\)"):
        check_compatible(node("a"), node("b", hypervisor="fake"))
    with pytest.raises(exception.InvalidRequest, match="reports no hypervisor"):
        check_compatible(node("a"), None)


def source_xml(serial=True):
    devices = consoles.ConsoleDevices(vnc_listen="198.18.1.12", serial_host="198.18.1.12",
                                      serial_port=10000 if serial else None)
    return domain.build_domain_xml(
        instance=instance(), host="compute1", virt_type="qemu", arch="x86_64",
        disks=[Disk(ROOT, f"{INSTANCE_DIR}/disk"),
               Disk(EPHEMERAL, f"{INSTANCE_DIR}/disk.eph0"),
               Disk(CONFIG_DRIVE, f"{INSTANCE_DIR}/disk.config", format="raw",
                    read_only=True)],
        network_info=[vif()], console_log=f"{INSTANCE_DIR}/console.log",
        image_properties={}, consoles=devices)


def test_the_destination_owns_the_guest_and_its_consoles_listen_there():
    xml = source_xml()
    moved = ET.fromstring(migration.destination_xml(
        xml, "compute2", vnc_listen="198.18.1.13", serial_host="198.18.1.13",
        serial_port=10003))
    ns = {"ps": domain.METADATA_NS}
    assert moved.findtext("metadata/ps:instance/ps:host", namespaces=ns) == "compute2"
    graphics = moved.find("devices/graphics")
    assert graphics.get("listen") == "198.18.1.13"
    assert graphics.find("listen").get("address") == "198.18.1.13"
    assert graphics.get("port") is None and graphics.get("autoport") == "yes"
    for tag in ("serial", "console"):
        source = moved.find(f"devices/{tag}/source")
        assert (source.get("host"), source.get("service")) == ("198.18.1.13", "10003")
    # Everything else is the guest as it runs: its disks, NIC, memory.
    original = ET.fromstring(xml)
    for path in ("devices/disk/source", "devices/interface/target", "memory"):
        assert [ET.tostring(e) for e in moved.findall(path)] == [
            ET.tostring(e) for e in original.findall(path)]


def test_without_consoles_only_the_owner_changes():
    xml = domain.build_domain_xml(
        instance=instance(), host="compute1", virt_type="qemu", arch="x86_64",
        disks=[Disk(ROOT, f"{INSTANCE_DIR}/disk")], network_info=[],
        console_log=f"{INSTANCE_DIR}/console.log", image_properties={})
    moved = migration.destination_xml(xml, "compute2")
    assert moved == xml.replace(">compute1<", ">compute2<")


def test_a_block_migration_copies_the_writable_disks_of_the_instance_directory():
    disks = migration.local_disks(source_xml(), INSTANCE_DIR)
    assert [(d.target, d.path, d.format) for d in disks] == [
        ("vda", f"{INSTANCE_DIR}/disk", "qcow2"), ("vdb", f"{INSTANCE_DIR}/disk.eph0",
                                                   "qcow2")]
    assert migration.local_disks(source_xml(), "/elsewhere") == []


def test_a_volume_is_not_a_local_disk():
    connection = {"driver_volume_type": "nbd",
                  "data": {"host": "10.0.0.1", "port": 10809, "export_name": "vol-1"}}
    xml = domain.build_domain_xml(
        instance=instance(), host="compute1", virt_type="qemu", arch="x86_64",
        disks=[Disk(ROOT, f"{INSTANCE_DIR}/disk"),
               Disk("volume", "nbd://10.0.0.1:10809/vol-1", format="raw",
                    source_type="network", serial="vol-1", connection_info=connection)],
        network_info=[], console_log="/c.log", image_properties={})
    assert [d.target for d in migration.local_disks(xml, INSTANCE_DIR)] == ["vda"]


def test_flags_are_peer_to_peer_live_and_persistent_and_copy_disks_only_when_asked():
    shared = migration.flags(False)
    for flag in (libvirt.VIR_MIGRATE_LIVE, libvirt.VIR_MIGRATE_PEER2PEER,
                 libvirt.VIR_MIGRATE_PERSIST_DEST, libvirt.VIR_MIGRATE_UNDEFINE_SOURCE):
        assert shared & flag
    assert not shared & libvirt.VIR_MIGRATE_NON_SHARED_INC
    assert not shared & libvirt.VIR_MIGRATE_NON_SHARED_DISK
    assert migration.flags(True) == shared | libvirt.VIR_MIGRATE_NON_SHARED_INC


def test_params_and_the_destination_uri():
    values = migration.params("<domain/>", "198.18.1.13", ["vda"], 0)
    assert values == {libvirt.VIR_MIGRATE_PARAM_DEST_XML: "<domain/>",
                      libvirt.VIR_MIGRATE_PARAM_PERSIST_XML: "<domain/>",
                      libvirt.VIR_MIGRATE_PARAM_URI: "tcp://198.18.1.13",
                      libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS: ["vda"]}
    values = migration.params("<domain/>", "fd00::13", [], 100)
    assert values[libvirt.VIR_MIGRATE_PARAM_URI] == "tcp://[fd00::13]"
    assert values[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] == 100
    assert libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS not in values
    assert libvirt.VIR_MIGRATE_PARAM_URI not in migration.params("<d/>", None, [], 0)
    assert migration.connection_uri("qemu+ssh://%s/system", "compute2") == (
        "qemu+ssh://compute2/system")
    assert migration.connection_uri("qemu+tls://fixed/system", "compute2") == (
        "qemu+tls://fixed/system")


def test_progress_from_the_job_statistics():
    stats = {"type": 2, "memory_total": 134217728, "memory_processed": 1000,
             "memory_remaining": 99, "disk_total": 5, "time_elapsed": 12}
    assert migration.progress_of(stats) == {
        "memory_total_bytes": 134217728, "memory_processed_bytes": 1000,
        "memory_remaining_bytes": 99, "disk_total_bytes": 5}
    assert migration.progress_of({}) == {}


def test_the_completion_timeout_scales_with_the_data_to_copy():
    assert migration.completion_timeout(0, 128, 0) == 0
    assert migration.completion_timeout(800, 128, 0) == 800          # at least 1 GiB
    assert migration.completion_timeout(800, 2048, 2 * migration.GiB) == 3200


@pytest.mark.parametrize("elapsed, requested, done, step", [
    (1, None, set(), None),
    (1, "abort", set(), "abort"),
    (1, "abort", {"abort"}, None),
    (1, "force_complete", set(), "force_complete"),
    (900, None, set(), "abort"),                        # past the timeout
    (900, None, {"abort"}, None),
    (900, "force_complete", set(), "force_complete"),   # the admin's request first
])
def test_the_monitor_steps_in_once_for_each_request_or_the_timeout(elapsed, requested,
                                                                    done, step):
    assert migration.next_step(elapsed, 800, "abort", requested, done) == step


def test_no_timeout_means_no_step():
    assert migration.next_step(10 ** 6, 0, "abort", None, set()) is None


def test_a_stopped_guest_goes_to_another_host_only_with_a_key_and_pinned_host_keys():
    conf = types.SimpleNamespace(state_path="/var/lib/pocketstack",
                                 libvirt=types.SimpleNamespace(
                                     migration_ssh_key=None,
                                     migration_ssh_known_hosts=None))
    with pytest.raises(driver.VirtError, match="set \\[libvirt\\] migration_ssh_key"):
        disk_copy.check_configured(conf, "compute2")
    conf.libvirt.migration_ssh_key = "/etc/pocketstack/migration_key"
    disk_copy.check_configured(conf, "compute2")
    options = disk_copy.ssh_options(conf)
    assert options[:2] == ["-i", "/etc/pocketstack/migration_key"]
    assert "UserKnownHostsFile=/var/lib/pocketstack/migration_known_hosts" in options
    assert "StrictHostKeyChecking=accept-new" in options and "BatchMode=yes" in options
