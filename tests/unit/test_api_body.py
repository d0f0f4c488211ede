"""The shared, bounded JSON body reader, and the volume API's paging links built on
the request."""
import json
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


def _chunked_req(raw):
    return falcon.testing.create_req(method="POST", path="/v3/p/volumes", body=raw,
                                     headers={"Transfer-Encoding": "chunked"})


def test_announced_length_over_the_bound_is_413_before_reading():
    middleware = body.BodyLimitMiddleware(max_bytes=1024)
    req = falcon.testing.create_req(method="POST", path="/x", body=b"",
                                    headers={"Content-Length": str(2 * 1024 ** 3)})
    with pytest.raises(errors.RequestEntityTooLarge):
        middleware.process_resource(req, None, object(), {})


def test_streamed_resources_keep_no_bound():
    class ImageData:
        streamed_body_methods = ("PUT",)

    middleware = body.BodyLimitMiddleware(max_bytes=1024)
    req = falcon.testing.create_req(method="PUT", path="/x", body=b"",
                                    headers={"Content-Length": str(2 * 1024 ** 3)})
    middleware.process_resource(req, None, ImageData(), {})


def test_a_chunked_body_is_bounded_while_it_streams():
    assert body.read_json(_chunked_req(b'{"a": 1}')) == {"a": 1}
    with pytest.raises(errors.RequestEntityTooLarge):
        body.read_json(_chunked_req(b'"' + b"x" * 5000 + b'"'), max_bytes=1000)


@pytest.mark.parametrize("raw", [
    b"[" * 100000 + b"]" * 100000,          # RecursionError in json.loads before
    b'{"a": ' * 40 + b"1" + b"}" * 40,
])
def test_deep_nesting_is_400_not_a_recursion_error(raw):
    with pytest.raises(errors.BadRequest) as info:
        body.read_json(_req(raw), max_bytes=10 ** 6)
    assert "nests deeper" in info.value.message


def test_brackets_inside_strings_do_not_count_as_nesting():
    document = {"name": "[[[[{{{{" * 20 + '\\"]]', "list": [[[1]]]}
    raw = json.dumps(document).encode()
    assert body.read_json(_req(raw)) == document
    assert body.nesting_depth(raw) == 4


@pytest.mark.parametrize("raw", [
    b'{"name": "\\ud800"}',                  # lone surrogate, escaped
    b'{"\\udfff": "key"}',                   # ... in a key
    b'{"name": "a\\u0000b"}',                # NUL: PostgreSQL's text cannot hold it
    b'{"quota": 9223372036854775808}',       # 2^63
    b'{"quota": -9223372036854775809}',
    b'{"vcpus": 1e999}',                     # inf
    b'{"vcpus": NaN}',
    b'{"vcpus": -Infinity}',
    b'{"name": "\xed\xa0\x80"}',             # surrogate encoded in (invalid) UTF-8
    b'{"name": "\xff"}',
])
def test_values_storage_cannot_take_are_400(raw):
    with pytest.raises(errors.BadRequest):
        body.read_json(_req(raw))


def test_the_largest_int64_and_ordinary_text_pass():
    raw = '{"n": 9223372036854775807, "m": -9223372036854775808, "s": "żółw 🐢"}'
    assert body.read_json(_req(raw.encode())) == {"n": 2 ** 63 - 1, "m": -2 ** 63,
                                                 "s": "żółw 🐢"}


def test_the_strict_validator_refuses_floats_for_integers():
    schema = {"type": "integer"}
    assert not list(body.StrictValidator(schema).iter_errors(3))
    assert list(body.StrictValidator(schema).iter_errors(3.0))
    assert list(body.StrictValidator(schema).iter_errors(1e308))
    assert list(body.StrictValidator(schema).iter_errors(True))


def test_volume_limit_zero_is_an_empty_page():
    rows = [types.SimpleNamespace(id=str(i)) for i in range(3)]
    assert volume_common.page(_req(query_string="limit=0"), rows, "http://h") == ([], [])
