"""The metadata service's paths (OpenStack and EC2, Nova's listings, 404 and 405), and how
it tells guests apart: by the source address of their port."""
import base64
import json

import pytest

from agent.network import metadata
from contract import exception
from contract import guest_metadata as documents_builder
from tests.unit.test_metadata_documents import KEY, instance

USER_DATA = b"#!/bin/sh\necho from user data\n"


@pytest.fixture
def docs():
    return documents_builder.documents(
        instance(user_data=base64.b64encode(USER_DATA).decode()))


def get(path, docs, method="GET"):
    return metadata.route(method, path, docs)


def text(path, docs):
    response = get(path, docs)
    assert response.status == 200, (path, response)
    return response.body.decode()


def test_openstack_versions_and_files(docs):
    versions = text("/openstack", docs).splitlines()
    assert versions == list(metadata.OPENSTACK_VERSIONS) and versions[-1] == "latest"
    assert text("/openstack/", docs) == text("/openstack", docs)
    assert text("/openstack/latest", docs).splitlines() == [
        "meta_data.json", "network_data.json", "user_data", "vendor_data.json",
        "vendor_data2.json"]
    assert text("/openstack/latest/", docs) == text("/openstack/latest", docs)


def test_older_openstack_versions_list_only_what_they_had(docs):
    assert text("/openstack/2012-08-10", docs).splitlines() == ["meta_data.json",
                                                                 "user_data"]
    assert get("/openstack/2012-08-10/network_data.json", docs).status == 404
    assert "network_data.json" in text("/openstack/2015-10-15", docs).splitlines()
    assert "vendor_data2.json" not in text("/openstack/2016-06-30", docs).splitlines()


def test_openstack_documents(docs):
    response = get("/openstack/latest/meta_data.json", docs)
    assert response.content_type == metadata.JSON
    meta = json.loads(response.body)
    assert meta["uuid"] == instance()["uuid"] and meta["hostname"] == "web-1"
    assert meta["public_keys"] == {"mykey": KEY} and meta["devices"] == []
    network = json.loads(get("/openstack/latest/network_data.json", docs).body)
    assert network["networks"][0]["ip_address"] == "10.0.0.5"
    for name in ("vendor_data.json", "vendor_data2.json"):
        assert json.loads(get(f"/openstack/latest/{name}", docs).body) == {}
    user_data = get("/openstack/latest/user_data", docs)
    assert user_data.body == USER_DATA and user_data.content_type == metadata.BINARY
    # A dated version is the same document.
    assert get("/openstack/2018-08-27/meta_data.json", docs).body == \
        get("/openstack/latest/meta_data.json", docs).body


def test_no_user_data_is_404_and_unlisted():
    docs = documents_builder.documents(instance())
    assert get("/openstack/latest/user_data", docs).status == 404
    assert "user_data" not in text("/openstack/latest", docs).splitlines()
    assert get("/latest/user-data", docs).status == 404
    assert text("/latest", docs) == "meta-data/"


def test_ec2_tree_as_cloud_init_reads_it(docs):
    assert text("/", docs).splitlines() == ["2009-04-04", "latest", "openstack"]
    assert text("/latest", docs).splitlines() == ["meta-data/", "user-data"]
    assert text("/latest/meta-data/", docs).splitlines() == [
        "ami-launch-index", "hostname", "instance-id", "instance-type", "local-hostname",
        "local-ipv4", "placement/", "public-keys/"]
    assert text("/latest/meta-data/instance-id", docs) == instance()["uuid"]
    assert text("/latest/meta-data/hostname", docs) == "web-1"
    assert text("/latest/meta-data/local-hostname", docs) == "web-1"
    assert text("/latest/meta-data/local-ipv4", docs) == "10.0.0.5"
    assert text("/latest/meta-data/placement/", docs) == "availability-zone"
    assert text("/latest/meta-data/placement/availability-zone", docs) == "zone-a"
    assert text("/latest/meta-data/public-keys/", docs) == "0=mykey"
    assert text("/latest/meta-data/public-keys/0/", docs) == "openssh-key"
    assert text("/latest/meta-data/public-keys/0/openssh-key", docs) == KEY
    assert get("/latest/user-data", docs).body == USER_DATA


def test_dated_ec2_version_is_latest(docs):
    for path in ("", "/meta-data/", "/meta-data/instance-id",
                 "/meta-data/public-keys/0/openssh-key", "/user-data"):
        assert get("/2009-04-04" + path, docs) == get("/latest" + path, docs)


@pytest.mark.parametrize("path", [
    "/nope", "/openstack/2011-01-01/meta_data.json", "/2010-01-01/meta-data/",
    "/latest/meta-data/hostname/more", "/latest/meta-data/public-keys/0/_name",
    "/latest/meta-data/public-keys/1/openssh-key", "/openstack/latest/secrets.json"])
def test_unknown_paths_are_404(docs, path):
    response = get(path, docs)
    assert response.status == 404 and response.body == b"Not Found"


def test_only_get_and_head(docs):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = get("/openstack/latest/meta_data.json", docs, method)
        assert response.status == 405
        assert ("Allow", "GET, HEAD") in response.headers
    assert get("/no/such/path", docs, "POST").status == 404
    assert get("/latest/meta-data/", docs, "HEAD") == get("/latest/meta-data/", docs)


def test_query_string_and_escapes_are_ignored_or_decoded(docs):
    assert get("/openstack/latest/meta_data.json?format=json", docs).status == 200
    assert text("/latest/meta-data/public-keys%2F0%2Fopenssh-key", docs) == KEY


# --- telling guests apart ---------------------------------------------------------------

PORTS = [
    {"id": "p1", "mac_address": "fa:16:3e:00:00:01", "device_id": "vm-1",
     "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.0.0.5"},
                   {"subnet_id": "s6", "ip_address": "fd00::5"}]},
    {"id": "p2", "mac_address": "fa:16:3e:00:00:02", "device_id": "vm-2",
     "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.0.0.6"}]},
    {"id": "p3", "mac_address": "fa:16:3e:00:00:03", "device_id": "",
     "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.0.0.7"}]},
]


def test_instances_by_address_skips_ports_of_no_instance():
    assert metadata.instances_by_address(PORTS) == {
        "10.0.0.5": "vm-1", "fd00::5": "vm-1", "10.0.0.6": "vm-2"}


class Documents:
    """documents_of: the documents of the instances it knows, recording each lookup."""

    def __init__(self, **by_uuid):
        self.by_uuid = by_uuid
        self.asked = []

    def __call__(self, instance_uuid):
        self.asked.append(instance_uuid)
        if instance_uuid not in self.by_uuid:
            raise exception.InstanceNotFound(instance_uuid)
        return self.by_uuid[instance_uuid]


def test_each_guest_reads_only_its_own_metadata():
    first = documents_builder.documents(instance(uuid="vm-1", hostname="one"))
    second = documents_builder.documents(instance(uuid="vm-2", hostname="two"))
    documents_of = Documents(**{"vm-1": first, "vm-2": second})
    proxy = metadata.MetadataProxy("net-1", "qdhcp-net-1", documents_of)
    proxy.set_ports(PORTS)
    path = "/latest/meta-data/hostname"
    assert proxy.respond("GET", path, "10.0.0.5").body == b"one"
    assert proxy.respond("GET", path, "10.0.0.6").body == b"two"
    # An address no port here has, or a port of no instance: 404, nobody asked.
    assert proxy.respond("GET", path, "10.0.0.99").status == 404
    assert proxy.respond("GET", path, "10.0.0.7").status == 404
    assert documents_of.asked == ["vm-1", "vm-2"]
    # Once the port is gone, its address is a stranger.
    proxy.set_ports(PORTS[1:])
    assert proxy.respond("GET", path, "10.0.0.5").status == 404


def test_deleted_instance_is_404_and_a_failing_conductor_500():
    proxy = metadata.MetadataProxy("net-1", "qdhcp-net-1", Documents())
    proxy.set_ports(PORTS)
    assert proxy.respond("GET", "/openstack", "10.0.0.5").status == 404

    def broken(instance_uuid):
        raise RuntimeError("conductor away")

    proxy = metadata.MetadataProxy("net-1", "qdhcp-net-1", broken)
    proxy.set_ports(PORTS)
    assert proxy.respond("GET", "/openstack", "10.0.0.5").status == 500


CONDUCTOR_CALLS = []


class RecordingConductor:
    def __init__(self, timeout=None):
        self.timeout = timeout

    def get_instance_metadata(self, ctxt, instance_uuid, host):
        CONDUCTOR_CALLS.append((instance_uuid, host, ctxt.is_admin))
        if instance_uuid == "gone":
            raise exception.InstanceNotFound(instance_uuid)
        return {"meta_data": {"uuid": instance_uuid}}


def test_conductor_documents_are_this_hosts_and_cached(monkeypatch):
    CONDUCTOR_CALLS.clear()
    monkeypatch.setattr(metadata, "ConductorAPI", RecordingConductor)
    documents_of = metadata.ConductorDocuments("host-a")
    assert documents_of("vm-1") == {"meta_data": {"uuid": "vm-1"}}
    assert documents_of("vm-1") == {"meta_data": {"uuid": "vm-1"}}
    for _ in range(2):
        with pytest.raises(exception.InstanceNotFound):
            documents_of("gone")
    assert CONDUCTOR_CALLS == [("vm-1", "host-a", True), ("gone", "host-a", True),
                               ("gone", "host-a", True)]
