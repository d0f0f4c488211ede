"""The shared, bounded JSON body reader, and the volume API's paging links built on
the request."""
import types
import urllib.parse

import falcon.testing
import pytest

from controller.api import body, errors
from controller.volume.api import common as volume_common


def _req(raw=b"", query_string=""):
    return falcon.testing.create_req(method="POST", path="/v3/p/volumes", body=raw,
                                     query_string=query_string)


def test_read_json_parses_and_treats_empty_as_none():
    assert body.read_json(_req(b'{"a": 1}')) == {"a": 1}
    assert body.read_json(_req(b"")) is None


def test_read_json_rejects_malformed_with_the_services_words():
    with pytest.raises(errors.BadRequest) as info:
        body.read_json(_req(b"{not json"), malformed="Bad body.", error_type="Malformed")
    assert info.value.message == "Bad body."
    assert info.value.error_type == "Malformed"


def test_read_json_reads_no_more_than_the_bound():
    with pytest.raises(errors.RequestEntityTooLarge):
        body.read_json(_req(b"[" + b"1," * 600 + b"1]"), max_bytes=1000)


def test_volume_next_link_keeps_the_filters():
    rows = [types.SimpleNamespace(id=str(i)) for i in range(5)]
    req = _req(query_string="status=available&limit=2&all_tenants=1&marker=0")
    page, links = volume_common.page(req, rows, "http://h/volume")
    assert [row.id for row in page] == ["1", "2"]
    (link,) = links
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link["href"]).query)
    assert query == {"status": ["available"], "limit": ["2"], "all_tenants": ["1"],
                     "marker": ["2"]}
