"""Glance's JSON-patch dialect applied to an image document."""
import pytest

from controller.image import patch

READ_ONLY = {"status", "size", "checksum", "created_at"}


def document():
    return {"name": "cirros", "visibility": "shared", "protected": False, "min_ram": 0,
            "tags": ["a"], "os_distro": "cirros"}


def apply(*operations):
    return patch.apply(document(), list(operations), READ_ONLY)


def test_replace_add_and_remove():
    result = apply({"op": "replace", "path": "/name", "value": "new"},
                   {"op": "add", "path": "/hw_disk_bus", "value": "virtio"},
                   {"op": "remove", "path": "/os_distro"})
    assert result["name"] == "new"
    assert result["hw_disk_bus"] == "virtio"
    assert "os_distro" not in result


def test_original_document_is_left_alone():
    original = document()
    patch.apply(original, [{"op": "replace", "path": "/name", "value": "x"}], READ_ONLY)
    assert original == document()


def test_add_of_an_existing_property_replaces_it():
    assert apply({"op": "add", "path": "/os_distro", "value": "debian"})["os_distro"] == \
        "debian"


def test_operations_apply_in_order():
    result = apply({"op": "add", "path": "/x", "value": "1"},
                   {"op": "replace", "path": "/x", "value": "2"})
    assert result["x"] == "2"


def test_tags_can_be_replaced_or_appended():
    assert apply({"op": "replace", "path": "/tags", "value": ["b"]})["tags"] == ["b"]
    assert apply({"op": "add", "path": "/tags/-", "value": "b"})["tags"] == ["a", "b"]


def test_json_pointer_escapes_are_decoded():
    assert apply({"op": "add", "path": "/a~1b~0c", "value": "v"})["a/b~c"] == "v"


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "/status", "value": "active"},
    {"op": "add", "path": "/size", "value": 1},
    {"op": "remove", "path": "/checksum"},
    {"op": "replace", "path": "/id", "value": "x"},
    {"op": "add", "path": "/os_glance_import_error", "value": "x"},
    {"op": "add", "path": "/locations", "value": []},
], ids=lambda op: op["path"])
def test_server_set_attributes_are_forbidden(operation):
    with pytest.raises(patch.PatchForbidden):
        apply(operation)


def test_core_attributes_cannot_be_removed():
    with pytest.raises(patch.PatchForbidden, match="'name' cannot be removed"):
        apply({"op": "remove", "path": "/name"})


@pytest.mark.parametrize("op", ["replace", "remove"])
def test_missing_property_is_a_conflict(op):
    with pytest.raises(patch.PatchConflict, match="Property nope does not exist"):
        apply({"op": op, "path": "/nope", "value": "x"})


def test_missing_tag_index_is_a_conflict():
    with pytest.raises(patch.PatchConflict):
        apply({"op": "remove", "path": "/tags/3"})


@pytest.mark.parametrize("operations", [
    {"op": "add", "path": "/x", "value": "1"},
    ["not an object"],
    [{"op": "move", "from": "/name", "path": "/x"}],
    [{"op": "add", "path": "/x"}],
    [{"op": "add", "value": "1"}],
    [{"op": "add", "path": "x", "value": "1"}],
    [{"op": "add", "path": "/", "value": "1"}],
    [{"op": "add", "path": "/name/first", "value": "1"}],
], ids=["not-a-list", "not-an-object", "move", "no-value", "no-path", "bad-pointer",
        "empty-name", "nested"])
def test_malformed_patches_are_bad_requests(operations):
    with pytest.raises(patch.PatchError) as caught:
        patch.apply(document(), operations, READ_ONLY)
    assert caught.value.status == 400
