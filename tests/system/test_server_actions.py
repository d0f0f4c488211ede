"""Server actions on a real guest (libvirt, domain type qemu) through the stock CLI:
pause and unpause, suspend (managed save) and resume, a snapshot that boots, a rebuild
from it, and deleting a suspended server leaving nothing behind."""
import os

import pytest

from tests.system.conftest import LIBVIRT_URI
from tests.system.test_compute_libvirt import (BOOT_TIMEOUT, console, domain_uuids,
                                               libvirt_cloud, run, wait_for)

pytestmark = [pytest.mark.system, pytest.mark.slow]

MANAGED_SAVE_DIR = "/var/lib/libvirt/qemu/save"


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    with libvirt_cloud("ps-server-actions-", tiny_image, "10.233.0.0/24") as instance:
        yield instance


def domstate(server_id):
    return run("virsh", "-c", LIBVIRT_URI, "domstate", "--reason",
               f"pocketstack-{server_id}").stdout.strip()


def banners(cloud, server_id, count):
    return wait_for(lambda: console(cloud, server_id).count("end of banner") >= count,
                    BOOT_TIMEOUT, f"banner #{count} of {server_id}")


def test_pause_suspend_snapshot_rebuild_on_a_real_guest(cloud):
    res, api = cloud.resources, cloud.api
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--nic", "none", "--wait", "vm-actions",
                             timeout=BOOT_TIMEOUT)
    server_id = server["id"]
    banners(cloud, server_id, 1)

    cloud.openstack("server", "pause", server_id, parse=False)
    assert api.wait_for_status(server_id, "PAUSED", 30)["OS-EXT-STS:power_state"] == 3
    assert domstate(server_id).startswith("paused")
    cloud.openstack("server", "unpause", server_id, parse=False)
    api.wait_for_status(server_id, "ACTIVE", 30)

    # Suspend: the memory goes to libvirt's managed save file and QEMU ends; resume
    # continues the same boot (no second banner).
    cloud.openstack("server", "suspend", server_id, parse=False)
    suspended = api.wait_for_status(server_id, "SUSPENDED", 120)
    assert suspended["OS-EXT-STS:power_state"] == 7
    assert domstate(server_id) == "shut off (saved)"
    cloud.openstack("server", "resume", server_id, parse=False)
    assert api.wait_for_status(server_id, "ACTIVE", 120)["OS-EXT-STS:power_state"] == 1
    assert domstate(server_id).startswith("running")
    assert console(cloud, server_id).count("end of banner") == 1

    # A snapshot of the running guest (paused while its disk is copied) boots.
    snap = cloud.openstack("server", "image", "create", "--name", "vm-actions-snap",
                           "--wait", server_id, timeout=300)
    assert snap["status"] == "active" and snap["size"] > 0 and snap["checksum"]
    assert snap["disk_format"] == "qcow2"
    assert api.wait_for_status(server_id, "ACTIVE", 30)["OS-EXT-STS:task_state"] is None
    assert domstate(server_id).startswith("running")
    from_snap = cloud.openstack("server", "create", "--image", snap["id"], "--flavor",
                                res.flavor, "--nic", "none", "--wait", "vm-from-snap",
                                timeout=BOOT_TIMEOUT)
    assert from_snap["status"] == "ACTIVE"
    # Rebuild the first server from the snapshot while the second one boots.
    cloud.openstack("server", "rebuild", "--image", snap["id"], server_id, parse=False)
    banners(cloud, from_snap["id"], 1)
    rebuilt = api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
    assert rebuilt["image"]["id"] == snap["id"]
    banners(cloud, server_id, 1)     # a new guest with a new console log

    # Deleting a suspended server removes its saved memory with the rest.
    cloud.openstack("server", "suspend", server_id, parse=False)
    api.wait_for_status(server_id, "SUSPENDED", 120)
    save_file = os.path.join(MANAGED_SAVE_DIR, f"pocketstack-{server_id}.save")
    assert os.path.exists(save_file)
    cloud.openstack("server", "delete", "--wait", server_id, parse=False)
    assert server_id not in domain_uuids() and not os.path.exists(save_file)
    state_path = cloud.sections["DEFAULT"]["state_path"]
    assert not os.path.exists(os.path.join(state_path, "instances", server_id))
    cloud.openstack("server", "delete", "--wait", from_snap["id"], parse=False)
