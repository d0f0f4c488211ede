"""The agent's share of a server's volumes, against a volume service and a conductor in
memory and the fake hypervisor: what is recorded, in which order, and what is undone."""
import contextlib
import itertools

import pytest

from agent.virt import driver, fake
from agent.volumes import ServerVolumes, VolumeNotReady
from contract import exception
from contract.clients.volume import VolumeError
from contract.rpc import RequestContext
from tests.unit.test_agent_fake_driver import instance_dict, make_conf

HOST = "host-a"
TOKEN = "user-token"
IMAGE = "img-1"


class FakeVolumeService:
    """The calls of ``VolumeClient`` on volumes and attachments in memory. A new volume
    stays ``creating`` for ``creating_reads`` reads."""

    def __init__(self, creating_reads=2):
        self.volumes = {}
        self.attachments = {}        # id → {"volume_id", "status"}
        self.calls = []
        self.creating_reads = creating_reads
        self.fail = {}               # method name → VolumeError it raises next
        self._ids = itertools.count(1)

    def _call(self, name, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail.pop(name)

    def add_volume(self, status="available"):
        volume_id = f"vol-{next(self._ids)}"
        self.volumes[volume_id] = {"id": volume_id, "status": status, "reads": 0}
        return volume_id

    def create_volume(self, token, size, image_id=None, name=None):
        self._call("create_volume", size, image_id, name)
        volume_id = self.add_volume("creating")
        return dict(self.volumes[volume_id])

    def get_volume(self, token, volume_id):
        volume = self.volumes[volume_id]
        volume["reads"] += 1
        if volume["status"] == "creating" and volume["reads"] > self.creating_reads:
            volume["status"] = "available"
        return dict(volume)

    def reserve(self, token, volume_id, instance_uuid):
        self._call("reserve", volume_id)
        attachment_id = f"att-{next(self._ids)}"
        self.attachments[attachment_id] = {"volume_id": volume_id, "status": "reserved"}
        self.volumes[volume_id]["status"] = "reserved"
        return attachment_id

    def connect(self, token, attachment_id, connector):
        self._call("connect", attachment_id, connector["host"], connector["mountpoint"])
        attachment = self.attachments[attachment_id]
        attachment["status"] = "attaching"
        return {"driver_volume_type": "nbd", "data": {
            "host": "127.0.0.1", "port": 10810, "export_name": attachment["volume_id"],
            "access_mode": "rw"}}

    def complete(self, token, attachment_id):
        self._call("complete", attachment_id)
        attachment = self.attachments[attachment_id]
        attachment["status"] = "attached"
        self.volumes[attachment["volume_id"]]["status"] = "in-use"

    def detach(self, token, attachment_id):
        self._call("detach", attachment_id)
        if attachment_id not in self.attachments:
            raise VolumeError("Volume attachment could not be found.", 404)
        attachment = self.attachments.pop(attachment_id)
        self.volumes[attachment["volume_id"]]["status"] = "available"

    def delete_volume(self, token, volume_id):
        self._call("delete_volume", volume_id)
        del self.volumes[volume_id]


class FakeConductor:
    def __init__(self, instance):
        self.instance = instance
        self.calls = []

    def instance_get(self, ctxt, instance_uuid):
        if self.instance is None:
            raise exception.InstanceNotFound(instance_uuid)
        return self.instance

    def _bdm(self, bdm_id):
        return next(b for b in self.instance["block_device_mappings"] if b["id"] == bdm_id)

    def block_device_update(self, ctxt, bdm_id, updates):
        self.calls.append(("update", bdm_id, dict(updates)))
        self._bdm(bdm_id).update(updates)

    def block_device_destroy(self, ctxt, bdm_id):
        self.calls.append(("destroy", bdm_id))
        self.instance["block_device_mappings"].remove(self._bdm(bdm_id))


def bdm(bdm_id, **fields):
    row = {"id": bdm_id, "source_type": "volume", "destination_type": "volume",
           "boot_index": None, "image_id": None, "volume_id": None, "attachment_id": None,
           "volume_size": None, "delete_on_termination": False, "device_name": None,
           "tag": None}
    row.update(fields)
    return row


class Steps:
    def __init__(self):
        self.names = []

    @contextlib.contextmanager
    def __call__(self, name):
        self.names.append(name)
        yield


@pytest.fixture
def service():
    return FakeVolumeService()


def make(service, instance, **agent_conf):
    conf = make_conf()
    for key, value in agent_conf.items():
        conf.set_override(key, value, group="agent")
    hypervisor = fake.FakeDriver(conf)
    hypervisor.init_host(HOST)
    conductor = FakeConductor(instance)
    volumes = ServerVolumes(conf, HOST, hypervisor, conductor)
    volumes.client = service
    return volumes, conductor, hypervisor


def ctxt():
    return RequestContext(auth_token=TOKEN, overwrite=False)


def test_a_build_makes_its_root_volume_then_exports_it_here(service):
    root = bdm(1, source_type="image", boot_index=0, image_id=IMAGE, volume_size=2,
               device_name="/dev/vda", delete_on_termination=True)
    instance = instance_dict("vm-1", HOST, name="web", block_device_mappings=[root])
    volumes, conductor, _ = make(service, instance)
    steps = Steps()

    prepared = volumes.prepare(ctxt(), instance, steps)

    assert steps.names == ["block_device_mapping"]
    (volume_id,) = service.volumes
    attachment_id = conductor.calls[1][2]["attachment_id"]
    # Each thing made is recorded before the next step, for whoever cleans up.
    assert conductor.calls == [("update", 1, {"volume_id": volume_id}),
                               ("update", 1, {"attachment_id": attachment_id})]
    assert service.calls[0] == ("create_volume", 2, IMAGE, "web-root")
    assert service.calls[-1] == ("connect", attachment_id, HOST, "/dev/vda")
    assert prepared[0]["connection_info"]["data"]["export_name"] == volume_id
    volumes.complete(ctxt(), prepared)
    assert service.volumes[volume_id]["status"] == "in-use"


def test_a_build_without_volumes_records_no_step(service):
    local = {**bdm(1), "source_type": "image", "destination_type": "local", "boot_index": 0}
    instance = instance_dict("vm-1", HOST, block_device_mappings=[local])
    volumes, conductor, _ = make(service, instance)
    steps = Steps()
    assert volumes.prepare(ctxt(), instance, steps) == [local]
    assert steps.names == [] and service.calls == [] and conductor.calls == []


def test_a_root_volume_that_fails_to_be_made_fails_the_build(service):
    root = bdm(1, source_type="image", boot_index=0, image_id=IMAGE, volume_size=1)
    instance = instance_dict("vm-1", HOST, block_device_mappings=[root])
    volumes, _, _ = make(service, instance)
    original = service.create_volume

    def create_broken(*args, **kwargs):
        volume = original(*args, **kwargs)
        service.volumes[volume["id"]].update(status="error", status_reason="disk full")
        return volume

    service.create_volume = create_broken
    with pytest.raises(VolumeNotReady, match="error, not available: disk full"):
        volumes.prepare(ctxt(), instance, Steps())


def test_a_root_volume_still_being_made_after_the_timeout_fails_the_build(service):
    service.creating_reads = 10 ** 6
    root = bdm(1, source_type="image", boot_index=0, image_id=IMAGE, volume_size=1)
    instance = instance_dict("vm-1", HOST, block_device_mappings=[root])
    volumes, _, _ = make(service, instance, block_device_allocate_timeout=1)
    with pytest.raises(VolumeNotReady, match="still being made after 1 s"):
        volumes.prepare(ctxt(), instance, Steps())


def test_a_failed_build_gives_back_its_attachments_but_keeps_its_volumes(service):
    volume_id = service.add_volume()
    root = bdm(1, boot_index=0, volume_id=volume_id, device_name="/dev/vda")
    instance = instance_dict("vm-1", HOST, block_device_mappings=[root])
    volumes, conductor, _ = make(service, instance)
    volumes.prepare(ctxt(), instance, Steps())

    volumes.release_attachments(ctxt(), "vm-1", TOKEN)

    assert service.attachments == {}
    assert service.volumes[volume_id]["status"] == "available"
    assert root["attachment_id"] is None and root["volume_id"] == volume_id


def test_a_deleted_server_takes_along_only_the_volumes_marked_so(service):
    kept, gone = service.add_volume(), service.add_volume()
    instance = instance_dict("vm-1", HOST, block_device_mappings=[
        bdm(1, boot_index=0, volume_id=gone, delete_on_termination=True),
        bdm(2, volume_id=kept)])
    volumes, _, _ = make(service, instance)
    for row in instance["block_device_mappings"]:
        row["attachment_id"] = service.reserve(TOKEN, row["volume_id"], "vm-1")
    # One attachment ended already (say, by an earlier try): its 404 is no failure.
    del service.attachments[instance["block_device_mappings"][0]["attachment_id"]]

    volumes.release(instance, TOKEN)

    assert list(service.volumes) == [kept] and service.attachments == {}


def test_hot_plug_and_unplug(service):
    volume_id = service.add_volume()
    instance = instance_dict("vm-1", HOST, block_device_mappings=[])
    volumes, conductor, hypervisor = make(service, instance)
    hypervisor.spawn(ctxt(), instance, {}, [], [], None, Steps())
    row = bdm(7, volume_id=volume_id, device_name="/dev/vdb",
              attachment_id=service.reserve(TOKEN, volume_id, "vm-1"))
    instance["block_device_mappings"].append(row)

    assert volumes.attach(ctxt(), instance, row) == "/dev/vdb"
    assert hypervisor.volumes_of("vm-1") == {volume_id: "/dev/vdb"}
    assert service.volumes[volume_id]["status"] == "in-use"

    volumes.detach(ctxt(), instance, row)
    assert hypervisor.volumes_of("vm-1") == {}
    assert service.volumes[volume_id]["status"] == "available"
    assert instance["block_device_mappings"] == []


def test_a_device_the_guest_has_already_is_replaced_and_recorded(service):
    first, second = service.add_volume(), service.add_volume()
    instance = instance_dict("vm-1", HOST, block_device_mappings=[])
    volumes, conductor, hypervisor = make(service, instance)
    hypervisor.spawn(ctxt(), instance, {}, [], [], None, Steps())
    rows = [bdm(n, volume_id=v, device_name="/dev/vdb",
                attachment_id=service.reserve(TOKEN, v, "vm-1"))
            for n, v in ((1, first), (2, second))]
    instance["block_device_mappings"].extend(rows)
    volumes.attach(ctxt(), instance, rows[0])
    assert volumes.attach(ctxt(), instance, rows[1]) == "/dev/vda"
    assert conductor.calls == [("update", 2, {"device_name": "/dev/vda"})]


@pytest.mark.parametrize("failing", ["connect", "attach", "complete"])
def test_a_failed_attach_is_undone(service, failing):
    volume_id = service.add_volume()
    extra_specs = {fake.FAIL_ATTACH: "true"} if failing == "attach" else {}
    instance = instance_dict("vm-1", HOST, block_device_mappings=[])
    instance["flavor"]["extra_specs"] = extra_specs
    volumes, conductor, hypervisor = make(service, instance)
    hypervisor.spawn(ctxt(), instance, {}, [], [], None, Steps())
    row = bdm(3, volume_id=volume_id, device_name="/dev/vdb",
              attachment_id=service.reserve(TOKEN, volume_id, "vm-1"))
    instance["block_device_mappings"].append(row)
    if failing != "attach":
        service.fail[failing] = VolumeError(f"{failing} refused", 500)

    with pytest.raises((VolumeError, driver.VirtError)):
        volumes.attach(ctxt(), instance, row)

    assert hypervisor.volumes_of("vm-1") == {}
    assert service.attachments == {}
    assert service.volumes[volume_id]["status"] == "available"
    assert conductor.calls == [("destroy", 3)]


def test_a_volume_the_guest_keeps_stays_attached(service):
    volume_id = service.add_volume()
    instance = instance_dict("vm-1", HOST, block_device_mappings=[])
    volumes, conductor, hypervisor = make(service, instance)
    row = bdm(4, volume_id=volume_id, attachment_id=service.reserve(TOKEN, volume_id, "x"))
    instance["block_device_mappings"].append(row)

    def stuck(instance, volume_id):
        raise driver.VirtError("The guest did not release it")

    hypervisor.detach_volume = stuck
    with pytest.raises(driver.VirtError):
        volumes.detach(ctxt(), instance, row)
    assert service.attachments and conductor.calls == []
