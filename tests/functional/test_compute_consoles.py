"""Remote consoles end to end with the fake virt driver (whose guests' consoles are real
TCP listeners on loopback): the compute API's answers and errors in Nova's shapes, the
stock CLI's ``console url show``, and the console proxy, which lets a one-time token
open the console of its own server once, and refuses everything else."""
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from tests.lib.cloud import Cloud
from tests.lib.consoles import open_console, read_console

DEMO_PASSWORD = "demo-secret"
# Short enough to wait out; long enough for a stock CLI to start on a busy machine.
TOKEN_TTL = 20


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("consoles"),
                     conf={"consoleauth": {"token_ttl": str(TOKEN_TTL)}})
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def api(cloud, compute_session):
    cloud.blank_image("tiny", "--public")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    return compute_session()


@pytest.fixture(scope="module")
def demo_api(cloud, compute_session):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return compute_session(user="demo", password=DEMO_PASSWORD, project="demo")


def create(cloud, api, name):
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                             name)
    return api.wait_for_server(server["id"], ("ACTIVE",))


@pytest.fixture(scope="module")
def vm1(cloud, api):
    return create(cloud, api, "console-vm1")


@pytest.fixture(scope="module")
def vm2(cloud, api):
    return create(cloud, api, "console-vm2")


def console_url(api, server_id, protocol="serial", console_type="serial"):
    answer = api.post(f"/servers/{server_id}/remote-consoles",
                      {"remote_console": {"protocol": protocol, "type": console_type}})
    assert answer.status_code == 200, answer.text
    return answer.json()["remote_console"]["url"]


def refused(url, origin=None):
    """Whether the proxy closes the WebSocket at once with nothing sent (Nova's
    refusal: the upgrade succeeds, then the connection drops)."""
    with open_console(url, origin) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    return True


def test_remote_console_urls_in_novas_shape(cloud, api, vm1):
    novnc = api.post(f"/servers/{vm1['id']}/remote-consoles",
                     {"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert novnc.status_code == 200
    body = novnc.json()["remote_console"]
    assert set(body) == {"protocol", "type", "url"}
    assert (body["protocol"], body["type"]) == ("vnc", "novnc")
    assert body["url"].startswith(f"http://127.0.0.1:{cloud.console_port}/vnc_lite.html"
                                  f"?path=%3Ftoken%3D")
    serial = console_url(api, vm1["id"])
    assert serial.startswith(f"ws://127.0.0.1:{cloud.console_port}/?token=")
    # Every URL has a token of its own.
    assert console_url(api, vm1["id"]) != serial


def test_the_older_actions_until_2_5(api, compute_session, vm1):
    old = compute_session(microversion="2.5")
    vnc = old.post(f"/servers/{vm1['id']}/action", {"os-getVNCConsole": {"type": "novnc"}})
    assert vnc.status_code == 200
    assert set(vnc.json()["console"]) == {"type", "url"}
    serial = old.post(f"/servers/{vm1['id']}/action",
                      {"os-getSerialConsole": {"type": "serial"}})
    assert serial.json()["console"]["type"] == "serial"
    assert b"RFB 003.008" in read_console(vnc.json()["console"]["url"], b"RFB")
    # Gone since 2.6, and remote-consoles came then.
    assert api.post(f"/servers/{vm1['id']}/action",
                    {"os-getVNCConsole": {"type": "novnc"}}).status_code == 404
    assert old.post(f"/servers/{vm1['id']}/remote-consoles", {"remote_console": {
        "protocol": "vnc", "type": "novnc"}}).status_code == 404
    bad = old.post(f"/servers/{vm1['id']}/action", {"os-getVNCConsole": {"type": "spice"}})
    assert bad.status_code == 400 and "badRequest" in bad.json()


@pytest.mark.parametrize("console, status, message", [
    ({"protocol": "spice", "type": "spice-html5"}, 400, "Unavailable console type spice"),
    ({"protocol": "vnc", "type": "serial"}, 400, "Invalid console type serial"),
    ({"protocol": "vnc", "type": "xvpvnc"}, 400, "Invalid console type xvpvnc"),
    ({"protocol": "telnet", "type": "serial"}, 400, "remote_console/protocol"),
    ({"protocol": "vnc"}, 400, "'type' is a required property"),
    ({"protocol": "vnc", "type": "novnc", "extra": 1}, 400, "Additional properties"),
])
def test_what_is_not_offered_is_a_400(api, vm1, console, status, message):
    answer = api.post(f"/servers/{vm1['id']}/remote-consoles", {"remote_console": console})
    assert answer.status_code == status
    assert message in answer.json()["badRequest"]["message"]


def test_no_console_of_a_server_that_is_not_running_or_not_ours(cloud, api, demo_api):
    gone = api.post("/servers/0b7e7f55-58a6-4f4b-8d7e-3d6a4c1a0f00/remote-consoles",
                    {"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert gone.status_code == 404 and "itemNotFound" in gone.json()
    server = create(cloud, api, "console-stopped")
    cloud.openstack("server", "stop", server["id"], parse=False)
    api.wait_for_server(server["id"], ("SHUTOFF",))
    stopped = api.post(f"/servers/{server['id']}/remote-consoles",
                       {"remote_console": {"protocol": "serial", "type": "serial"}})
    assert stopped.status_code == 409
    assert stopped.json()["conflictingRequest"]["message"] == (
        f"Instance {server['id']} is not ready")
    # Another project's member does not even see it.
    foreign = demo_api.post(f"/servers/{server['id']}/remote-consoles",
                            {"remote_console": {"protocol": "serial", "type": "serial"}})
    assert foreign.status_code == 404


def test_the_stock_cli_shows_console_urls(cloud, vm1):
    novnc = cloud.openstack("console", "url", "show", "--novnc", vm1["id"])
    assert (novnc["protocol"], novnc["type"]) == ("vnc", "novnc")
    assert "vnc_lite.html?path=%3Ftoken%3D" in novnc["url"]
    serial = cloud.openstack("console", "url", "show", "--serial", vm1["id"])
    assert serial["url"].startswith(f"ws://127.0.0.1:{cloud.console_port}/?token=")
    assert b"pocketstack fake guest console-vm1" in read_console(
        serial["url"], b"console-vm1")


def test_a_token_opens_its_own_servers_console_once(api, vm1, vm2):
    url = console_url(api, vm1["id"])
    seen = read_console(url, b"hello", send=b"hello")
    assert b"pocketstack fake guest console-vm1" in seen and b"console-vm2" not in seen
    assert refused(url)                                   # used
    other = read_console(console_url(api, vm2["id"]), b"console-vm2")
    assert b"console-vm1" not in other


def test_bad_expired_and_foreign_origin_tokens_are_refused(cloud, api, vm1):
    base = f"ws://127.0.0.1:{cloud.console_port}/"
    assert refused(base + "?token=not-a-token")
    assert refused(base)
    expired = console_url(api, vm1["id"])
    time.sleep(TOKEN_TTL + 1)
    assert refused(expired)
    # A page of another site may not use a token, and the token survives the attempt.
    url = console_url(api, vm1["id"])
    assert refused(url, origin="http://evil.example")
    assert b"console-vm1" in read_console(url, b"console-vm1",
                                          origin=f"http://127.0.0.1:{cloud.console_port}")


def test_a_deleted_servers_tokens_die_with_it(cloud, api):
    server = create(cloud, api, "console-doomed")
    url = console_url(api, server["id"])
    cloud.openstack("server", "delete", "--wait", server["id"], parse=False)
    assert refused(url)


def test_the_proxy_serves_novnc(cloud):
    page = requests.get(f"http://127.0.0.1:{cloud.console_port}/vnc_lite.html", timeout=10)
    assert page.status_code == 200 and "noVNC" in page.text
    listing = requests.get(f"http://127.0.0.1:{cloud.console_port}/core/", timeout=10)
    assert listing.status_code == 404                      # no directory listings
