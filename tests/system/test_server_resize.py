"""Resizing a real guest (libvirt, domain type qemu) on one host through the stock CLI:
the guest comes back with the new flavor's vCPUs and a grown root disk, keeps its fixed
IP, and a revert brings back exactly the guest it was (its kept disk and domain); a
confirm removes what was kept."""
import json
import os

import pytest

from controller.volume.backend.exports import ExportDaemons
from tests.system.conftest import LIBVIRT_URI
from tests.system.test_compute_libvirt import (BOOT_TIMEOUT, FLAVOR_MIB, fixed_address,
                                               libvirt_cloud, libvirt_cloud_conf,
                                               ping_from_dhcp_namespace, run, wait_for)

pytestmark = [pytest.mark.system, pytest.mark.slow]

GiB = 1024 ** 3


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    conf = libvirt_cloud_conf(compute={"allow_resize_to_same_host": "true"})
    with libvirt_cloud("ps-server-resize-", tiny_image, "10.234.0.0/24",
                       conf) as instance:
        yield instance


def vcpus(server_id):
    info = run("virsh", "-c", LIBVIRT_URI, "dominfo", f"pocketstack-{server_id}").stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("CPU(s)")))


def root_disk(server_id):
    listing = run("virsh", "-c", LIBVIRT_URI, "domblklist", "--details",
                  f"pocketstack-{server_id}").stdout
    return next(line.split()[-1] for line in listing.splitlines()
                if line.split()[2:3] == ["vda"])


def virtual_size(path):
    return json.loads(run("qemu-img", "info", "-U", "--output=json", path).stdout)[
        "virtual-size"]


def answers(cloud, address):
    wait_for(lambda: ping_from_dhcp_namespace(cloud.resources.network, address),
             BOOT_TIMEOUT, f"ping {address}")


def test_resize_revert_and_confirm_a_real_guest(cloud):
    res, api = cloud.resources, cloud.api
    bigger = cloud.openstack("flavor", "create", "--ram", str(FLAVOR_MIB), "--vcpus", "2",
                             "--disk", "2", "nano-x2")["id"]
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--nic", f"net-id={res.network}", "--wait",
                             "vm-resize", timeout=BOOT_TIMEOUT)
    server_id = server["id"]
    address = fixed_address(server)
    answers(cloud, address)
    disk = root_disk(server_id)
    kept = os.path.dirname(disk) + "_resize"
    assert (vcpus(server_id), virtual_size(disk)) == (1, GiB)

    cloud.openstack("server", "resize", "--flavor", bigger, "--wait", server_id,
                    parse=False, timeout=BOOT_TIMEOUT)
    resized = api.wait_for_status(server_id, "VERIFY_RESIZE", BOOT_TIMEOUT)
    assert fixed_address(resized) == address
    assert (vcpus(server_id), virtual_size(root_disk(server_id))) == (2, 2 * GiB)
    assert os.path.isdir(kept)
    answers(cloud, address)

    cloud.openstack("server", "resize", "revert", server_id, parse=False)
    reverted = api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
    assert reverted["flavor"]["id"] == res.flavor
    assert (vcpus(server_id), virtual_size(root_disk(server_id))) == (1, GiB)
    assert not os.path.exists(kept)
    answers(cloud, address)

    cloud.openstack("server", "resize", "--flavor", bigger, "--wait", server_id,
                    parse=False, timeout=BOOT_TIMEOUT)
    api.wait_for_status(server_id, "VERIFY_RESIZE", BOOT_TIMEOUT)
    cloud.openstack("server", "resize", "confirm", server_id, parse=False)
    confirmed = api.wait_for_status(server_id, "ACTIVE", 60)
    assert confirmed["flavor"]["id"] == bigger
    wait_for(lambda: not os.path.exists(kept), 30, "the kept guest to go")
    assert vcpus(server_id) == 2
    answers(cloud, address)


def disks(server_id):
    listing = run("virsh", "-c", LIBVIRT_URI, "domblklist", "--details",
                  f"pocketstack-{server_id}").stdout
    return {line.split()[2]: line.split()[-1] for line in listing.splitlines()
            if line.split()[1:2] == ["disk"]}


def test_shelve_unshelve_rescue_unrescue_a_real_guest(cloud):
    res, api = cloud.resources, cloud.api
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--nic", f"net-id={res.network}", "--wait",
                             "vm-shelf", timeout=BOOT_TIMEOUT)
    server_id = server["id"]
    address = fixed_address(server)
    answers(cloud, address)

    cloud.openstack("server", "shelve", server_id, parse=False)
    shelved = api.wait_for_status(server_id, "SHELVED_OFFLOADED", BOOT_TIMEOUT)
    assert shelved["OS-EXT-SRV-ATTR:host"] is None
    assert f"pocketstack-{server_id}" not in run("virsh", "-c", LIBVIRT_URI, "list",
                                                 "--all", "--name").stdout
    cloud.openstack("server", "unshelve", server_id, parse=False)
    back = api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
    assert fixed_address(back) == address
    answers(cloud, address)

    cloud.openstack("server", "rescue", server_id, parse=False)
    api.wait_for_status(server_id, "RESCUE", BOOT_TIMEOUT)
    rescue_disks = disks(server_id)
    assert rescue_disks["vda"].endswith("/disk.rescue")
    assert rescue_disks["vdb"].endswith(f"/{server_id}/disk")
    answers(cloud, address)
    cloud.openstack("server", "unrescue", server_id, parse=False)
    api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
    assert disks(server_id)["vda"].endswith(f"/{server_id}/disk")
    assert not os.path.exists(os.path.join(os.path.dirname(disks(server_id)["vda"]),
                                           "disk.rescue"))
    answers(cloud, address)


def test_resize_a_real_guest_with_a_volume_and_revert_and_confirm(cloud):
    """The volume goes with the guest: its network disk in the new domain, again in the
    kept one on a revert (at the export as it is now), one attachment all along."""
    res, api = cloud.resources, cloud.api
    bigger = cloud.openstack("flavor", "create", "--ram", str(FLAVOR_MIB), "--vcpus", "2",
                             "--disk", "2", "nano-x2-vol")["id"]
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--nic", f"net-id={res.network}", "--wait",
                             "vm-resize-vol", timeout=BOOT_TIMEOUT)
    server_id = server["id"]
    address = fixed_address(server)
    answers(cloud, address)
    volume = cloud.openstack("volume", "create", "--size", "1", "resize-data")["id"]
    try:
        wait_for(lambda: cloud.openstack("volume", "show", volume)["status"] == "available",
                 60, "the volume")
        cloud.openstack("server", "add", "volume", server_id, volume)
        wait_for(lambda: cloud.openstack("volume", "show", volume)["status"] == "in-use",
                 60, "the volume in use")

        def has_volume():
            return volume in disks(server_id).values()

        def one_attachment():
            shown = cloud.openstack("volume", "show", volume)
            return shown["status"] == "in-use" and [a["server_id"] for a in
                                                    shown["attachments"]] == [server_id]

        assert has_volume()
        cloud.openstack("server", "resize", "--flavor", bigger, "--wait", server_id,
                        parse=False, timeout=BOOT_TIMEOUT)
        api.wait_for_status(server_id, "VERIFY_RESIZE", BOOT_TIMEOUT)
        assert vcpus(server_id) == 2 and has_volume() and one_attachment()
        answers(cloud, address)

        cloud.openstack("server", "resize", "revert", server_id, parse=False)
        api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
        assert vcpus(server_id) == 1 and has_volume() and one_attachment()
        answers(cloud, address)

        cloud.openstack("server", "resize", "--flavor", bigger, "--wait", server_id,
                        parse=False, timeout=BOOT_TIMEOUT)
        api.wait_for_status(server_id, "VERIFY_RESIZE", BOOT_TIMEOUT)
        cloud.openstack("server", "resize", "confirm", server_id, parse=False)
        api.wait_for_status(server_id, "ACTIVE", 60)
        assert vcpus(server_id) == 2 and has_volume() and one_attachment()
        answers(cloud, address)
        cloud.openstack("server", "remove", "volume", server_id, volume, parse=False)
        wait_for(lambda: cloud.openstack("volume", "show", volume)["status"] == "available",
                 60, "the volume detached")
        cloud.openstack("volume", "delete", volume, parse=False)
    finally:
        # A failed step must not leave the volume's export running.
        ExportDaemons(os.path.join(cloud.workdir, "state", "volumes", "exports")).stop_all()
