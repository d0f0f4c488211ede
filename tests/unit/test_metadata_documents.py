"""An instance's metadata documents in Nova's formats: meta_data.json, network_data.json,
the EC2 tree, and the config drive's arguments built from the same documents."""
import base64
import json
import subprocess
import sys

from contract import guest_metadata as metadata

PORT = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDOVhLmTz8P0J7ZS0eJN1WH4sKLoXUvyE8Y6wN4mI4Qp t@h"


def vif(port_id=PORT, mac="fa:16:3e:00:00:01", **network):
    return {"id": port_id, "address": mac,
            "network": {"id": "net-1", "label": "private", "bridge": "brqnet-1", "mtu": 1450,
                        "subnets": [{"id": "sub-1", "cidr": "10.0.0.0/24",
                                     "gateway": "10.0.0.1", "dns": ["10.0.0.2"],
                                     "ips": [{"address": "10.0.0.5", "version": 4}]}],
                        **network}}


def instance(**overrides):
    values = {"uuid": "6f0c1e9a-1111-4222-8333-944445555666", "name": "web 1",
              "hostname": "web-1", "project_id": "p-1", "user_id": "u-1",
              "flavor": {"name": "m1.nano", "vcpus": 1, "memory_mb": 128},
              "availability_zone": "zone-a", "launch_index": 2, "key_name": "mykey",
              "key_data": KEY, "user_data": None, "metadata": {"role": "web"},
              "network_info": [vif()], "config_drive": False}
    values.update(overrides)
    return values


def test_meta_data_json_has_novas_fields():
    meta = metadata.meta_data(instance())
    assert meta == {"uuid": "6f0c1e9a-1111-4222-8333-944445555666", "name": "web 1",
                    "hostname": "web-1", "launch_index": 2, "availability_zone": "zone-a",
                    "project_id": "p-1", "meta": {"role": "web"},
                    "public_keys": {"mykey": KEY},
                    "keys": [{"name": "mykey", "type": "ssh", "data": KEY}],
                    "devices": []}


def test_meta_data_without_key_or_metadata():
    meta = metadata.meta_data(instance(key_name=None, key_data=None, metadata={}))
    assert meta["public_keys"] == {} and meta["keys"] == [] and meta["meta"] == {}


def test_network_data_static_ipv4_with_default_route_and_dns():
    data = metadata.network_data([vif()])
    assert data["links"] == [{"id": "tapa1b2c3d4-e5", "vif_id": PORT, "type": "bridge",
                              "ethernet_mac_address": "fa:16:3e:00:00:01", "mtu": 1450}]
    (network,) = data["networks"]
    assert network == {"id": "network0", "type": "ipv4", "link": "tapa1b2c3d4-e5",
                       "network_id": "net-1", "ip_address": "10.0.0.5",
                       "netmask": "255.255.255.0",
                       "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                                   "gateway": "10.0.0.1"}],
                       "services": [{"type": "dns", "address": "10.0.0.2"}]}
    assert data["services"] == [{"type": "dns", "address": "10.0.0.2"}]


def test_network_data_names_links_by_the_vifs_device_when_known():
    data = metadata.network_data([dict(vif(), devname="tapcustom")])
    assert data["links"][0]["id"] == "tapcustom"
    assert data["networks"][0]["link"] == "tapcustom"


def test_network_data_ipv6_without_gateway_two_nics_shared_dns_and_no_nics():
    info = [vif(), vif(port_id="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                       mac="fa:16:3e:00:00:02",
                       subnets=[{"id": "sub-6", "cidr": "fd00::/64", "gateway": None,
                                 "dns": ["10.0.0.2"],
                                 "ips": [{"address": "fd00::5", "version": 6}]}])]
    data = metadata.network_data(info)
    assert [n["id"] for n in data["networks"]] == ["network0", "network1"]
    ipv6 = data["networks"][1]
    assert ipv6["type"] == "ipv6" and ipv6["link"] == "tapbbbbbbbb-bb"
    assert ipv6["netmask"] == "ffff:ffff:ffff:ffff::" and ipv6["routes"] == []
    assert data["services"] == [{"type": "dns", "address": "10.0.0.2"}]
    assert metadata.network_data([]) == {"links": [], "networks": [], "services": []}


def test_ec2_tree():
    tree = metadata.ec2_meta_data(instance())
    assert tree == {"ami-launch-index": "2", "hostname": "web-1", "local-hostname": "web-1",
                    "instance-id": "6f0c1e9a-1111-4222-8333-944445555666",
                    "instance-type": "m1.nano",
                    "placement": {"availability-zone": "zone-a"},
                    "local-ipv4": "10.0.0.5",
                    "public-keys": {"0": {"_name": "mykey", "openssh-key": KEY}}}


def test_ec2_local_ipv4_skips_ipv6_and_is_absent_without_ipv4():
    ipv6_only = vif(subnets=[{"id": "s6", "cidr": "fd00::/64", "gateway": None,
                              "ips": [{"address": "fd00::5", "version": 6}]}])
    assert "local-ipv4" not in metadata.ec2_meta_data(instance(network_info=[ipv6_only]))
    tree = metadata.ec2_meta_data(instance(network_info=[ipv6_only, vif()]))
    assert tree["local-ipv4"] == "10.0.0.5"
    tree = metadata.ec2_meta_data(instance(network_info=[], key_data=None))
    assert "local-ipv4" not in tree and "public-keys" not in tree


def test_documents_cross_the_bus_as_json():
    user_data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    docs = metadata.documents(instance(user_data=user_data))
    assert json.loads(json.dumps(docs)) == docs
    assert docs["user_data"] == user_data
    assert docs["vendor_data"] == {} and docs["vendor_data2"] == {}
    assert docs["meta_data"] == metadata.meta_data(instance())
    assert docs["network_data"] == metadata.network_data([vif()])
    assert docs["ec2_meta_data"]["instance-id"] == instance()["uuid"]
    assert metadata.documents(instance(user_data=""))["user_data"] is None


def test_config_drive_holds_the_same_documents_with_user_data_as_bytes():
    user_data = base64.b64encode(b"\x00binary\xff").decode()
    docs = metadata.documents(instance(user_data=user_data))
    drive = metadata.config_drive(instance(user_data=user_data))
    assert drive == {"meta_data": docs["meta_data"], "user_data": b"\x00binary\xff",
                     "network_data": docs["network_data"], "vendor_data": {}}
    assert metadata.config_drive(instance())["user_data"] is None


def test_builder_imports_no_database_code():
    """The agent builds its config drive with it, and the agent never reaches the
    database."""
    probe = ("import json, sys; import contract.guest_metadata; "
             "print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    modules = json.loads(result.stdout.splitlines()[-1])
    assert not [m for m in modules if m.split(".")[0] in ("sqlalchemy", "alembic")
                or m.startswith("controller.db")]
