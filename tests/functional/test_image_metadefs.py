"""The metadata definitions catalog (Glance's metadefs) over real HTTP and with the stock
``openstack`` and ``glance`` clients: namespaces with their objects, properties, tags and
resource type associations, who sees and changes them, and the published schemas."""
import json
import subprocess

import jsonschema
import pytest
import requests

from tests.lib.cloud import Cloud, client_bin

DEMO_PASSWORD = "demo-secret"
SEEDED_RESOURCE_TYPES = {"OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor",
                         "OS::Nova::Aggregate", "OS::Nova::Server"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("image-metadefs"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


class Api:
    """Raw requests to /image/v2 with one user's token."""

    def __init__(self, cloud, user, password, project):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
        assert response.status_code == 201, response.text
        self.project_id = response.json()["token"]["project"]["id"]
        self.base = cloud.url + "/image/v2"
        self.session = requests.Session()
        self.session.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]

    def __call__(self, method, path, expect=None, **kwargs):
        response = self.session.request(method, self.base + path, timeout=60, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response


@pytest.fixture(scope="module")
def admin(cloud):
    return Api(cloud, "admin", "admin-secret", "admin")


@pytest.fixture(scope="module")
def demo(cloud, admin):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return Api(cloud, "demo", DEMO_PASSWORD, "demo")


def namespace_body(name, **extra):
    return {"namespace": name, "display_name": name, "description": "test",
            "visibility": "public", "protected": False, **extra}


@pytest.fixture
def namespace(admin, request):
    name = "test-" + request.node.name.replace("_", "-")[:60]
    admin("POST", "/metadefs/namespaces", json=namespace_body(name), expect=201)
    yield name
    admin("PUT", f"/metadefs/namespaces/{name}", json=namespace_body(name))
    admin("DELETE", f"/metadefs/namespaces/{name}")


@pytest.mark.parametrize("path, name", [
    ("namespace", "namespace"), ("namespaces", "namespaces"),
    ("resource_type", "resource_type_association"),
    ("resource_types", "resource_type_associations"), ("object", "object"),
    ("objects", "objects"), ("property", "property"), ("properties", "properties"),
    ("tag", "tag"), ("tags", "tags")])
def test_schemas_are_published(cloud, admin, path, name):
    schema = admin("GET", f"/schemas/metadefs/{path}", expect=200).json()
    assert schema["name"] == name
    jsonschema.Draft4Validator.check_schema(schema)


def test_glance_resource_types_are_there(admin):
    listed = admin("GET", "/metadefs/resource_types", expect=200).json()["resource_types"]
    assert SEEDED_RESOURCE_TYPES <= {rt["name"] for rt in listed}
    assert listed[0]["name"] == "OS::Glance::Image"
    assert all(rt["created_at"].endswith("Z") for rt in listed)


def test_namespace_with_contents_lifecycle(admin):
    name = "OS::Test::Lifecycle"
    body = namespace_body(
        name, protected=True,
        resource_type_associations=[{"name": "OS::Glance::Image", "prefix": "hw_"},
                                    {"name": "OS::Test::NewType"}],
        properties={"disk_bus": {"title": "Disk bus", "type": "string",
                                 "enum": ["virtio", "ide"]}},
        objects=[{"name": "Watchdog", "properties": {
            "action": {"title": "Action", "type": "string"}}, "required": ["action"]}],
        tags=[{"name": "one"}, {"name": "two"}])
    created = admin("POST", "/metadefs/namespaces", json=body, expect=201)
    assert created.headers["Location"].endswith(f"/v2/metadefs/namespaces/{name}")
    created = created.json()
    assert created["self"] == f"/v2/metadefs/namespaces/{name}"
    assert created["owner"] == admin.project_id and created["protected"] is True
    assert created["tags"] == [{"name": "one"}, {"name": "two"}]
    schema = admin("GET", "/schemas/metadefs/namespace").json()
    jsonschema.validate(created, schema)

    # A new resource type came with its first association.
    types = admin("GET", "/metadefs/resource_types").json()["resource_types"]
    assert "OS::Test::NewType" in {rt["name"] for rt in types}

    shown = admin("GET", f"/metadefs/namespaces/{name}", expect=200).json()
    assert shown["properties"]["disk_bus"]["enum"] == ["virtio", "ide"]
    assert shown["objects"][0]["name"] == "Watchdog"
    assert shown["objects"][0]["self"] == (f"/v2/metadefs/namespaces/{name}"
                                           f"/objects/Watchdog")
    assert {a["name"] for a in shown["resource_type_associations"]} == {
        "OS::Glance::Image", "OS::Test::NewType"}
    prefixed = admin("GET", f"/metadefs/namespaces/{name}",
                     params={"resource_type": "OS::Glance::Image"}).json()
    assert list(prefixed["properties"]) == ["hw_disk_bus"]
    assert prefixed["objects"][0]["required"] == ["hw_action"]

    listed = admin("GET", "/metadefs/namespaces",
                   params={"resource_types": "OS::Test::NewType"}, expect=200).json()
    assert [ns["namespace"] for ns in listed["namespaces"]] == [name]
    assert listed["schema"] == "/v2/schemas/metadefs/namespaces"
    assert listed["first"] == "/v2/metadefs/namespaces?resource_types=OS%3A%3ATest%3A%3ANewType"

    # Protected: neither the namespace nor anything in it can be deleted.
    admin("DELETE", f"/metadefs/namespaces/{name}", expect=403)
    admin("DELETE", f"/metadefs/namespaces/{name}/tags", expect=403)
    admin("DELETE", f"/metadefs/namespaces/{name}/objects/Watchdog", expect=403)
    updated = admin("PUT", f"/metadefs/namespaces/{name}",
                    json={"namespace": name, "visibility": "private"}, expect=200).json()
    assert updated["protected"] is False and updated["visibility"] == "private"
    assert "description" not in updated      # PUT replaces: left out means none
    admin("DELETE", f"/metadefs/namespaces/{name}", expect=204)
    admin("GET", f"/metadefs/namespaces/{name}", expect=404)
    admin("GET", f"/metadefs/namespaces/{name}/objects", expect=404)


def test_visibility_and_who_may_change_the_catalog(admin, demo):
    admin("POST", "/metadefs/namespaces",
          json=namespace_body("test-private", visibility="private"), expect=201)
    admin("POST", "/metadefs/namespaces", json=namespace_body("test-public"), expect=201)
    try:
        names = {ns["namespace"] for ns in
                 demo("GET", "/metadefs/namespaces", expect=200).json()["namespaces"]}
        assert "test-public" in names and "test-private" not in names
        demo("GET", "/metadefs/namespaces/test-private", expect=404)
        demo("GET", "/metadefs/namespaces/test-public/tags", expect=200)
        demo("POST", "/metadefs/namespaces", json=namespace_body("test-demo"), expect=403)
        demo("POST", "/metadefs/namespaces/test-public/tags/mine", expect=403)
        demo("DELETE", "/metadefs/namespaces/test-public", expect=403)
        public_only = admin("GET", "/metadefs/namespaces",
                            params={"visibility": "public"}).json()["namespaces"]
        assert all(ns["visibility"] == "public" for ns in public_only)
    finally:
        admin("DELETE", "/metadefs/namespaces/test-private", expect=204)
        admin("DELETE", "/metadefs/namespaces/test-public", expect=204)


def test_bad_requests(admin, namespace):
    admin("POST", "/metadefs/namespaces", json=namespace_body(namespace), expect=409)
    admin("POST", "/metadefs/namespaces", json={"display_name": "no name"}, expect=400)
    admin("POST", "/metadefs/namespaces", json={**namespace_body("x"), "color": "red"},
          expect=400)
    admin("POST", "/metadefs/namespaces",
          json={**namespace_body("x"), "created_at": "2020-01-01T00:00:00Z"}, expect=403)
    admin("POST", "/metadefs/namespaces", json=namespace_body("x", visibility="shared"),
          expect=400)
    admin("POST", "/metadefs/namespaces", data="{", expect=400,
          headers={"Content-Type": "application/json"})
    admin("GET", "/metadefs/namespaces", params={"sort_dir": "up"}, expect=400)
    admin("GET", "/metadefs/namespaces", params={"limit": "x"}, expect=400)
    admin("GET", "/metadefs/namespaces", params={"visibility": "community"}, expect=400)
    admin("GET", "/metadefs/namespaces", params={"marker": "no-such-namespace"},
          expect=404)
    admin("POST", f"/metadefs/namespaces/{namespace}/properties",
          json={"name": "p", "type": "string"}, expect=400)          # no title
    admin("POST", f"/metadefs/namespaces/{namespace}/objects",
          json={"name": "o", "properties": {"p": {"type": "string"}}}, expect=400)
    admin("POST", f"/metadefs/namespaces/{namespace}/tags/{'t' * 81}", expect=400)
    admin("GET", "/metadefs/namespaces/no-such-namespace/properties", expect=404)


def test_listing_pages(admin):
    names = [f"test-page-{i}" for i in range(3)]
    for name in names:
        admin("POST", "/metadefs/namespaces", json=namespace_body(name), expect=201)
    try:
        seen, url = [], "/metadefs/namespaces?limit=1&sort_key=namespace&sort_dir=asc"
        while url:
            page = admin("GET", url[len("/v2"):] if url.startswith("/v2") else url,
                         expect=200).json()
            seen += [ns["namespace"] for ns in page["namespaces"]]
            url = page.get("next")
        assert [n for n in seen if n.startswith("test-page-")] == names
    finally:
        for name in names:
            admin("DELETE", f"/metadefs/namespaces/{name}", expect=204)


def test_objects(admin, namespace):
    path = f"/metadefs/namespaces/{namespace}/objects"
    created = admin("POST", path, json={"name": "CPU", "description": "limits",
                                        "properties": {"quota": {"title": "Quota",
                                                                 "type": "integer",
                                                                 "minimum": 0}}},
                    expect=201).json()
    assert created["self"] == f"/v2/metadefs/namespaces/{namespace}/objects/CPU"
    assert created["schema"] == "/v2/schemas/metadefs/object"
    admin("POST", path, json={"name": "CPU"}, expect=409)
    admin("POST", path, json={"name": "Disk"}, expect=201)
    admin("PUT", f"{path}/Disk", json={"name": "CPU"}, expect=409)
    renamed = admin("PUT", f"{path}/CPU", json={"name": "Processor"}, expect=200).json()
    assert renamed["name"] == "Processor" and "properties" not in renamed
    listed = admin("GET", path, expect=200).json()
    assert [o["name"] for o in listed["objects"]] == ["Processor", "Disk"]
    assert listed["schema"] == "v2/schemas/metadefs/objects"
    admin("GET", f"{path}/CPU", expect=404)
    admin("DELETE", f"{path}/Processor", expect=204)
    admin("DELETE", path, expect=204)
    assert admin("GET", path).json()["objects"] == []


def test_properties(admin, namespace):
    path = f"/metadefs/namespaces/{namespace}/properties"
    admin("POST", f"/metadefs/namespaces/{namespace}/resource_types",
          json={"name": "OS::Nova::Flavor", "prefix": "hw:"}, expect=201)
    body = {"name": "cpu_policy", "title": "CPU policy", "type": "string",
            "enum": ["shared", "dedicated"]}
    assert admin("POST", path, json=body, expect=201).json() == body
    admin("POST", path, json=body, expect=409)
    assert admin("GET", path, expect=200).json() == {"properties": {"cpu_policy": {
        "title": "CPU policy", "type": "string", "enum": ["shared", "dedicated"]}}}
    shown = admin("GET", f"{path}/hw:cpu_policy",
                  params={"resource_type": "OS::Nova::Flavor"}, expect=200).json()
    assert shown["name"] == "cpu_policy"
    admin("GET", f"{path}/cpu_policy", params={"resource_type": "OS::Nova::Flavor"},
          expect=404)
    updated = admin("PUT", f"{path}/cpu_policy",
                    json={"name": "cpu_policy", "title": "Policy", "type": "string"},
                    expect=200).json()
    assert updated == {"name": "cpu_policy", "title": "Policy", "type": "string"}
    admin("DELETE", f"{path}/cpu_policy", expect=204)
    admin("GET", f"{path}/cpu_policy", expect=404)


def test_tags(admin, namespace):
    path = f"/metadefs/namespaces/{namespace}/tags"
    tags = [{"name": "a"}, {"name": "b"}]
    assert admin("POST", path, json={"tags": tags}, expect=201).json() == {"tags": tags}
    # Without X-Openstack-Append the new set replaces the old one.
    admin("POST", path, json={"tags": [{"name": "c"}]}, expect=201)
    assert admin("GET", path).json() == {"tags": [{"name": "c"}]}
    admin("POST", path, json={"tags": [{"name": "d"}]},
          headers={"X-Openstack-Append": "True"}, expect=201)
    admin("POST", path, json={"tags": [{"name": "e"}, {"name": "e"}]}, expect=409)
    assert {t["name"] for t in admin("GET", path).json()["tags"]} == {"c", "d"}
    single = admin("POST", f"{path}/f", expect=201).json()
    assert single["name"] == "f" and single["created_at"].endswith("Z")
    admin("POST", f"{path}/f", expect=409)
    assert admin("PUT", f"{path}/f", json={"name": "g"}, expect=200).json()["name"] == "g"
    assert admin("GET", f"{path}/g", expect=200).json()["name"] == "g"
    assert len(admin("GET", path, params={"limit": 2}).json()["tags"]) == 2
    admin("DELETE", f"{path}/g", expect=204)
    admin("DELETE", f"{path}/g", expect=404)
    admin("DELETE", path, expect=204)
    assert admin("GET", path).json() == {"tags": []}


def test_resource_type_associations(admin, namespace):
    path = f"/metadefs/namespaces/{namespace}/resource_types"
    created = admin("POST", path, json={"name": "OS::Cinder::Volume", "prefix": "hw_",
                                        "properties_target": "image"}, expect=201).json()
    assert created["properties_target"] == "image" and "created_at" in created
    admin("POST", path, json={"name": "OS::Cinder::Volume"}, expect=409)
    listed = admin("GET", path, expect=200).json()["resource_type_associations"]
    assert [a["name"] for a in listed] == ["OS::Cinder::Volume"]
    admin("DELETE", f"{path}/OS::Cinder::Volume", expect=204)
    admin("DELETE", f"{path}/OS::Cinder::Volume", expect=404)


def run(cloud, tmp_path, name, *args):
    env = {**cloud.env(), "HOME": str(tmp_path)}
    result = subprocess.run([client_bin(name), *args], env=env, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{name} {args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_stock_clients(cloud, tmp_path):
    created = json.loads(run(cloud, tmp_path, "openstack", "image", "metadef", "namespace",
                             "create", "--public", "--protected", "--description",
                             "made by the CLI", "OS::Test::Cli", "-f", "json"))
    assert created["namespace"] == "OS::Test::Cli"
    listed = json.loads(run(cloud, tmp_path, "openstack", "image", "metadef", "namespace",
                            "list", "-f", "json"))
    assert "OS::Test::Cli" in {ns["namespace"] for ns in listed}
    types = json.loads(run(cloud, tmp_path, "openstack", "image", "metadef",
                           "resource", "type", "list", "-f", "json"))
    assert SEEDED_RESOURCE_TYPES <= {rt["Name"] for rt in types}
    run(cloud, tmp_path, "glance", "md-namespace-update", "OS::Test::Cli",
        "--protected", "False")
    shown = run(cloud, tmp_path, "glance", "md-namespace-show", "OS::Test::Cli")
    assert "made by the CLI" in shown
    run(cloud, tmp_path, "openstack", "image", "metadef", "namespace", "delete",
        "OS::Test::Cli")


def test_shipped_catalog_loads_once(cloud, admin, tmp_path):
    first = cloud.pocketstack("metadefs-load")
    assert "loaded metadata definition namespace OS::Compute::LibvirtImage" in first.stdout
    again = cloud.pocketstack("metadefs-load")
    assert "loaded" not in again.stdout       # what exists is left as it is
    libvirt = admin("GET", "/metadefs/namespaces/OS::Compute::LibvirtImage",
                    expect=200).json()
    assert libvirt["protected"] is True and libvirt["visibility"] == "public"
    assert libvirt["properties"]["hw_disk_bus"]["enum"] == ["virtio", "scsi", "sata", "ide"]
    images = admin("GET", "/metadefs/namespaces",
                   params={"resource_types": "OS::Glance::Image"}).json()["namespaces"]
    assert {"OS::Compute::Hypervisor", "OS::OperatingSystem"} <= {
        ns["namespace"] for ns in images}

    bad = tmp_path / "catalog"
    bad.mkdir()
    (bad / "broken.json").write_text('{"display_name": "no namespace"}')
    refused = cloud.pocketstack("metadefs-load", "--path", str(bad), check=False)
    assert refused.returncode == 1 and "broken.json" in refused.stdout
