"""The libvirt driver on its own (no API, no conductor): real libvirt and QEMU, the real
tiny image served by a loopback stand-in for the image service, guests without NICs."""
import base64
import collections
import contextlib
import hashlib
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
from oslo_config import cfg

from agent.virt import driver as virt_driver
from agent.virt import power_state
from agent.virt.libvirt.driver import LibvirtDriver
import conf as pocketstack_conf
from contract.rpc import RequestContext
from tests.system.conftest import GUEST_MIB, LIBVIRT_URI, VIRT_TYPE

pytestmark = [pytest.mark.system, pytest.mark.slow]

BOOT_TIMEOUT = 180
BANNER_END = "############ end of banner ############"
# Any base64 blob will do: the guest shows the SHA256 of the decoded key.
PUBLIC_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1Y2t5LXBvY2tldHN0YWNrLXRlc3Qta2V5"
              "LWJsb2I= tester@pocketstack")


class ImageService:
    """``GET /image/v2/images/{id}/file`` for one image, counting the downloads."""

    def __init__(self, data):
        self.image_id = str(uuid.uuid4())
        self.downloads = collections.Counter()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != f"/image/v2/images/{service.image_id}/file":
                    self.send_error(404)
                    return
                service.downloads[self.headers.get("X-Auth-Token")] += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_port}/image"
        self.image_meta = {"id": self.image_id, "name": "pocketstack-tiny",
                           "disk_format": "qcow2", "container_format": "bare",
                           "size": len(data), "os_hash_algo": "sha512",
                           "os_hash_value": hashlib.sha512(data).hexdigest(),
                           "properties": {}}
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def image_service(tiny_image):
    service = ImageService(tiny_image.read_bytes())
    yield service
    service.close()


def make_conf(state_path, image_endpoint):
    conf = cfg.ConfigOpts()
    pocketstack_conf.register(conf, pocketstack_conf.groups_of("agent"))
    conf([], project="pocketstack")
    conf.set_override("state_path", state_path)
    conf.set_override("image_endpoint", image_endpoint, group="compute")
    conf.set_override("virt_type", VIRT_TYPE, group="libvirt")
    conf.set_override("connection_uri", LIBVIRT_URI, group="libvirt")
    conf.set_override("shutdown_timeout", 60, group="agent")
    return conf


@pytest.fixture(scope="module")
def driver(libvirt_conn, image_service):
    """A driver serving its own host name, with its state in a directory QEMU can reach;
    whatever guests it still has at the end are destroyed."""
    workdir = tempfile.mkdtemp(prefix="pstest-libvirt-")
    os.chmod(workdir, 0o755)
    instance = LibvirtDriver(make_conf(os.path.join(workdir, "state"),
                                       image_service.endpoint))
    instance.init_host(f"pstest-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        yield instance
    finally:
        for leftover in instance.list_instance_uuids():
            instance.destroy(None, {"uuid": leftover}, [])
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def events(driver):
    received = []
    driver.register_event_listener(received.append)
    return received


def new_instance(name):
    instance_uuid = str(uuid.uuid4())
    return {"uuid": instance_uuid, "name": name, "hostname": f"{name}-guest",
            "project_id": "p-test", "user_id": "u-test", "image_ref": None,
            "flavor": {"name": "tiny", "vcpus": 1, "memory_mb": GUEST_MIB, "root_gb": 0,
                       "ephemeral_gb": 0, "swap": 0, "extra_specs": {}}}


def config_drive_meta(instance):
    return {"meta_data": {"uuid": instance["uuid"], "name": instance["name"],
                          "hostname": instance["hostname"],
                          "public_keys": {"tester": PUBLIC_KEY},
                          "availability_zone": "nova", "launch_index": 0,
                          "project_id": instance["project_id"]},
            "user_data": None, "network_info": []}


class StepRecorder:
    def __init__(self):
        self.names = []

    @contextlib.contextmanager
    def __call__(self, name):
        self.names.append(name)
        yield


def spawn(driver, instance, image_service, steps=None):
    driver.spawn(RequestContext(auth_token="token-of-the-user"), instance,
                 image_service.image_meta, [], [], config_drive_meta(instance),
                 steps or StepRecorder())


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_banners(driver, instance, count):
    wait_for(lambda: driver.get_console_output(instance).count(BANNER_END) >= count,
             BOOT_TIMEOUT, f"boot banner #{count} on the console")


def key_fingerprint(public_key):
    blob = base64.b64decode(public_key.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def assert_nothing_left(driver, libvirt_conn, instance):
    import libvirt

    with pytest.raises(libvirt.libvirtError):
        libvirt_conn.lookupByUUIDString(instance["uuid"])
    assert not os.path.exists(os.path.join(driver.instances_path, instance["uuid"]))
    assert instance["uuid"] not in driver.list_instance_uuids()


def test_available_resources(driver):
    resources = driver.get_available_resource()
    assert resources["hypervisor_type"] == "QEMU"
    assert resources["cpu_arch"] == os.uname().machine
    assert resources["vcpus"] == os.cpu_count()
    with open("/proc/meminfo") as f:
        mem_total_kib = int(f.readline().split()[1])
    assert resources["memory_mb"] == mem_total_kib // 1024
    assert resources["local_gb"] > 0


def test_guest_lifecycle(driver, image_service, libvirt_conn):
    instance = new_instance("lifecycle")
    steps = StepRecorder()
    spawn(driver, instance, image_service, steps)
    assert steps.names == ["image", "storage", "spawn"]
    assert driver.get_power_state(instance) == power_state.RUNNING
    assert instance["uuid"] in driver.list_instance_uuids()

    # First boot: the config drive gave the guest its hostname and SSH key.
    wait_for_banners(driver, instance, 1)
    console = driver.get_console_output(instance)
    assert f"hostname: {instance['hostname']}" in console
    assert f"instance-id: {instance['uuid']}" in console
    assert "datasource: config-drive" in console
    assert f"ssh-key: ssh-ed25519 SHA256:{key_fingerprint(PUBLIC_KEY)} tester@pocketstack" \
        in console

    # Stop asks the guest first (ACPI power button), which powers itself off.
    driver.power_off(instance, timeout=60)
    assert driver.get_power_state(instance) == power_state.SHUTDOWN
    assert "power button pressed, powering off" in driver.get_console_output(instance)

    driver.power_on(None, instance, [])
    assert driver.get_power_state(instance) == power_state.RUNNING

    # A hard reboot needs no cooperation from the guest.
    driver.reboot(None, instance, [], hard=True)
    assert driver.get_power_state(instance) == power_state.RUNNING
    wait_for_banners(driver, instance, 2)

    # A soft reboot goes through the guest's own clean power-off.
    presses = driver.get_console_output(instance).count("power button pressed")
    driver.reboot(None, instance, [], hard=False)
    assert driver.get_power_state(instance) == power_state.RUNNING
    assert driver.get_console_output(instance).count("power button pressed") == presses + 1

    driver.destroy(None, instance, [])
    assert_nothing_left(driver, libvirt_conn, instance)
    with pytest.raises(virt_driver.InstanceNotOnHost):
        driver.get_power_state(instance)
    driver.destroy(None, instance, [])  # idempotent


def test_guest_killed_outside_pocketstack_is_reported(driver, image_service, events,
                                                      libvirt_conn):
    instance = new_instance("killed")
    spawn(driver, instance, image_service)
    subprocess.run(["virsh", "-c", LIBVIRT_URI, "destroy", f"pocketstack-{instance['uuid']}"],
                   check=True, capture_output=True)
    wait_for(lambda: virt_driver.LifecycleEvent(instance["uuid"], power_state.SHUTDOWN)
             in events, 10, "a lifecycle event saying the guest is off")
    assert driver.get_power_state(instance) == power_state.SHUTDOWN
    driver.destroy(None, instance, [])
    assert_nothing_left(driver, libvirt_conn, instance)


def test_leftovers_of_a_crashed_build_are_listed_and_destroyed(driver, image_service,
                                                               libvirt_conn):
    instance = new_instance("half-built")
    instance_dir = os.path.join(driver.instances_path, instance["uuid"])
    os.makedirs(instance_dir)
    with open(os.path.join(instance_dir, "disk"), "wb"):
        pass
    assert instance["uuid"] in driver.list_instance_uuids()
    driver.destroy(None, {"uuid": instance["uuid"]}, [])
    assert_nothing_left(driver, libvirt_conn, instance)


def test_concurrent_spawns_share_one_download(driver, image_service):
    instances = [new_instance(f"twin-{n}") for n in range(2)]
    errors = []

    def build(instance):
        try:
            spawn(driver, instance, image_service)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i,)) for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        # once for this module's image service, whichever test asked first
        assert image_service.downloads == {"token-of-the-user": 1}
    finally:
        for instance in instances:
            driver.destroy(None, instance, [])


def test_failed_spawn_leaves_nothing(driver, image_service, libvirt_conn):
    instance = new_instance("bad-property")
    bad_meta = dict(image_service.image_meta, properties={"hw_disk_bus": "floppy"})
    with pytest.raises(virt_driver.VirtError, match="hw_disk_bus"):
        driver.spawn(RequestContext(auth_token="t"), instance, bad_meta, [], [], None,
                     StepRecorder())
    assert_nothing_left(driver, libvirt_conn, instance)
