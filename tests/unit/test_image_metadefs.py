"""The metadata definitions' schemas and the catalog pocketstack ships, without a cloud."""
import jsonschema
import pytest

from agent.virt.libvirt import domain
from controller.image import metadef_catalog, metadef_schemas, schemas


def test_every_published_schema_is_a_valid_draft4_schema():
    for path, document in metadef_schemas.documents().items():
        jsonschema.Draft4Validator.check_schema(document)
        assert document["name"], path


def test_shipped_catalog_is_valid_and_matches_what_the_driver_reads():
    catalog = {document["namespace"]: document
               for _, document in metadef_catalog.read_catalog()}
    assert set(catalog) == {"OS::Compute::LibvirtImage", "OS::Compute::Hypervisor",
                            "OS::OperatingSystem"}
    libvirt = catalog["OS::Compute::LibvirtImage"]["properties"]
    # The enums offer exactly what the libvirt driver accepts.
    assert set(libvirt["hw_disk_bus"]["enum"]) == set(domain.DISK_BUSES)
    assert set(libvirt["hw_vif_model"]["enum"]) == set(domain.VIF_MODELS)
    assert set(libvirt["hw_firmware_type"]["enum"]) == set(domain.FIRMWARE_TYPES)


def test_catalog_file_that_is_not_a_namespace_is_refused(tmp_path):
    (tmp_path / "bad.json").write_text('{"namespace": "x", "visibility": "shared"}')
    with pytest.raises(metadef_catalog.CatalogError, match="bad.json"):
        metadef_catalog.read_catalog(str(tmp_path))


@pytest.mark.parametrize("body, valid", [
    ({"name": "p", "title": "P", "type": "string"}, True),
    ({"name": "p", "type": "string"}, False),                  # no title
    ({"name": "p", "title": "P", "type": "text"}, False),      # not a JSON type
    ({"name": "p", "title": "P", "type": "string", "colour": "red"}, False),
    ({"name": "p" * 81, "title": "P", "type": "string"}, False),
])
def test_property_schema(body, valid):
    if valid:
        metadef_schemas.validate(metadef_schemas.property_schema(), body)
    else:
        with pytest.raises(schemas.SchemaError):
            metadef_schemas.validate(metadef_schemas.property_schema(), body)
