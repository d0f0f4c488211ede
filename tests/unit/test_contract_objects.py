"""The versioned objects that cross RPC: the shapes they carry, and the compatibility
rule between sides of different releases (newer fields backported away by the sender
that knows the receiver's versions, or ignored by the receiver)."""
import copy

import pytest
from oslo_versionedobjects import exception as ovo_exception
from oslo_versionedobjects import fields

from contract import objects
from contract.objects import base

UUID = "5d2b1f8e-7c6a-4b1e-9d2f-1a2b3c4d5e6f"
PORT = "7a4c5e21-0b6d-4c3e-8f1a-2b3c4d5e6f70"
INSTANCE = {
    "uuid": UUID, "name": "vm1", "hostname": "vm1", "vm_state": "active",
    "task_state": None, "power_state": 1, "config_drive": False,
    "flavor": {"name": "m1.nano", "vcpus": 1, "memory_mb": 128,
               "extra_specs": {"hw:cpu_policy": "shared"}},
    "image_meta": {"id": "img", "properties": {"os_distro": "cirros"}},
    "metadata": {"role": "web"}, "requested_networks": [{"network_id": "net"}],
    "launched_at": "2026-12-04T10:00:00",
    "network_info": [{"id": PORT, "address": "fa:16:3e:00:00:01", "devname": "tap7a4c5e21-0b",
                      "preserve_on_delete": False,
                      "network": {"id": "net", "bridge": "brqnet", "mtu": 1450,
                                  "subnets": []}}],
    "block_device_mappings": [{"id": 3, "source_type": "image",
                               "destination_type": "local", "boot_index": 0,
                               "image_id": "img", "volume_id": None,
                               "attachment_id": None, "volume_size": None,
                               "delete_on_termination": True, "device_name": "/dev/vda",
                               "tag": None}],
}


def over_the_wire(entity):
    serializer = objects.ObjectSerializer()
    return serializer.deserialize_entity(None, copy.deepcopy(
        serializer.serialize_entity(None, entity)))


def test_an_instance_crosses_as_a_versioned_object_and_reads_as_a_mapping():
    instance = objects.Instance.from_dict(INSTANCE)
    primitive = objects.ObjectSerializer().serialize_entity(None, instance)
    assert (primitive["versioned_object.name"], primitive["versioned_object.version"]) == (
        "Instance", objects.Instance.VERSION)
    received = over_the_wire(instance)
    assert isinstance(received, objects.Instance)
    assert received["uuid"] == UUID and received["flavor"] == INSTANCE["flavor"]
    vif = received["network_info"][0]
    assert isinstance(vif, objects.VirtualInterface)
    assert (vif["network"]["bridge"], vif.get("preserve_on_delete")) == ("brqnet", False)
    bdm = received["block_device_mappings"][0]
    assert isinstance(bdm, objects.BlockDeviceMapping)
    assert bdm.get("connection_info") is None and bdm.get("no-such-field", 7) == 7
    assert received.to_dict() == INSTANCE


def test_keys_the_object_does_not_carry_are_left_out():
    vif = objects.VirtualInterface.from_dict(dict(INSTANCE["network_info"][0],
                                                  ovs_interfaceid="x"))
    assert "ovs_interfaceid" not in vif.to_dict()


def test_a_newer_minor_version_is_read_with_its_new_fields_ignored():
    primitive = objects.ObjectSerializer().serialize_entity(
        None, objects.Instance.from_dict(INSTANCE))
    major = objects.Instance.VERSION.split(".")[0]
    primitive["versioned_object.version"] = f"{major}.99"
    primitive["versioned_object.data"]["pinned_cpus"] = [0, 1]
    primitive["versioned_object.changes"] = ["pinned_cpus", "vm_state"]
    received = objects.ObjectSerializer().deserialize_entity(None, primitive)
    assert received.VERSION == objects.Instance.VERSION
    assert "pinned_cpus" not in received and received.get("pinned_cpus") is None
    assert received["vm_state"] == "active"
    assert received.obj_what_changed() == {"vm_state"}


def test_a_newer_major_version_is_refused():
    primitive = objects.ObjectSerializer().serialize_entity(
        None, objects.Instance.from_dict(INSTANCE))
    primitive["versioned_object.version"] = "99.0"
    with pytest.raises(ovo_exception.IncompatibleObjectVersion):
        objects.ObjectSerializer().deserialize_entity(None, primitive)


# Two releases of one object, as an older and a newer side have them.
@base.register
class ContractTestGadget(base.PocketstackObject):
    VERSION = "1.0"
    fields = {"name": fields.StringField()}


@base.register
class ContractTestGadgetV11(base.PocketstackObject):
    VERSION = "1.1"
    fields = {"name": fields.StringField(), "colour": fields.StringField()}
    ADDED_IN = {"1.1": ("colour",)}

    @classmethod
    def obj_name(cls):
        return "ContractTestGadget"


def test_a_sender_backports_to_the_version_the_receiver_knows():
    gadget = ContractTestGadgetV11(name="g", colour="red")
    primitive = objects.backport(gadget, {"ContractTestGadget": "1.0"})
    assert primitive["versioned_object.version"] == "1.0"
    assert primitive["versioned_object.data"] == {"name": "g"}
    received = objects.ObjectSerializer().deserialize_entity(None, primitive)
    assert type(received) is ContractTestGadget and received.name == "g"
    # Asked for nothing (an older caller), it stays the object.
    assert objects.backport(gadget, None) is gadget


def test_a_receiver_of_the_same_versions_gets_the_object_as_it_is():
    instance = objects.Instance.from_dict(INSTANCE)
    assert objects.backport(instance, objects.versions()) is instance
    received = over_the_wire(objects.backport(instance, objects.versions()))
    assert received.to_dict() == INSTANCE
    # A receiver with an older nested object (or one it does not name) is backported.
    older = dict(objects.versions(), ContractTestGadget="1.0")
    assert objects.backport(instance, older) is not instance
    partial = {"Instance": objects.Instance.VERSION}
    assert objects.backport(instance, partial)["versioned_object.data"]["uuid"] == UUID


def test_an_unknown_attribute_is_not_set_but_an_error():
    instance = objects.Instance.from_dict({"uuid": UUID})
    assert instance.obj_attr_is_set("uuid") and not instance.obj_attr_is_set("name")
    with pytest.raises(AttributeError):
        instance.obj_attr_is_set("no_such_field")


def test_versions_name_every_object_of_the_contract():
    known = objects.versions()
    for cls in (objects.Instance, objects.VirtualInterface, objects.BlockDeviceMapping):
        assert known[cls.obj_name()] == cls.VERSION
