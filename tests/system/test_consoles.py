"""Remote consoles of a real guest (libvirt, the tiny image) through the console proxy:
the stock CLI's URLs, the guest's login banner over its serial console, a VNC frame,
and the guest's console ports bound to the management address only."""
import xml.etree.ElementTree as ET

import pytest

from tests.lib.consoles import open_console, read_until, vnc_first_frame
from tests.system.conftest import LIBVIRT_URI
from tests.system.test_compute_libvirt import BOOT_TIMEOUT, libvirt_cloud, run

pytestmark = [pytest.mark.system, pytest.mark.slow]


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    with libvirt_cloud("ps-consoles-", tiny_image, "10.237.0.0/24") as instance:
        yield instance


@pytest.fixture(scope="module")
def server(cloud):
    res = cloud.resources
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--network", res.network, "--wait", "vm-console",
                             timeout=BOOT_TIMEOUT)
    assert server["status"] == "ACTIVE", cloud.log_tail()
    return server


def test_the_guest_consoles_listen_on_the_management_address_only(server):
    xml = ET.fromstring(run("virsh", "-c", LIBVIRT_URI, "dumpxml", server["id"]).stdout)
    graphics = xml.find("devices/graphics[@type='vnc']")
    assert graphics.get("listen") == "127.0.0.1" and int(graphics.get("port")) > 0
    source = xml.find("devices/serial[@type='tcp']/source")
    assert (source.get("mode"), source.get("host")) == ("bind", "127.0.0.1")
    assert xml.find("devices/serial/log") is not None          # console log still kept


def test_the_serial_console_shows_the_login_banner_through_the_proxy(cloud, server):
    url = cloud.openstack("console", "url", "show", "--serial", server["id"])["url"]
    with open_console(url) as ws:
        # The banner shows at boot; the debug shell (after Enter) prints it again.
        seen = read_until(ws, b"end of banner", timeout=BOOT_TIMEOUT,
                          poke=b"\rcat /run/pocketstack/banner\r", poke_every=10)
    text = seen.decode(errors="replace")
    assert "pocketstack-tiny login banner" in text
    assert "hostname: vm-console" in text


def test_the_vnc_console_gives_a_frame_through_the_proxy(cloud, server):
    url = cloud.openstack("console", "url", "show", "--novnc", server["id"])["url"]
    width, height, name, rectangles = vnc_first_frame(url)
    assert width >= 640 and height >= 200 and rectangles >= 1
    assert server["id"] in name or "pocketstack" in name
