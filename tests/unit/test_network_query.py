"""List queries: filters on any attribute, fields, sorting, marker pagination."""
import urllib.parse

import pytest

from controller.api import errors
from controller.network.api import query

ATTRIBUTES = {"id": None, "name": None, "shared": None, "mtu": None, "fixed_ips": None}
BASE = "http://cloud/networking/v2.0/things"


def things():
    return [{"id": f"id-{i}", "name": name, "shared": i % 2 == 0, "mtu": 1400 + i,
             "fixed_ips": [{"subnet_id": "s1", "ip_address": f"10.0.0.{i + 10}"}]}
            for i, name in enumerate(["c", "a", "b", "a", "d"])]


def ids(body):
    return [view["id"] for view in body["things"]]


def run(params):
    return query.apply(things(), params, "things", BASE, ATTRIBUTES)


def test_filter_repeated_key_means_any_of():
    assert ids(run({"name": ["a", "d"]})) == ["id-1", "id-3", "id-4"]


def test_boolean_and_integer_filters_compare_as_their_types():
    assert ids(run({"shared": "True"})) == ["id-0", "id-2", "id-4"]
    assert ids(run({"mtu": "1402"})) == ["id-2"]


def test_fixed_ips_filter():
    assert ids(run({"fixed_ips": "ip_address=10.0.0.13"})) == ["id-3"]
    assert ids(run({"fixed_ips": "ip_address_substr=0.0.1"})) == [
        "id-0", "id-1", "id-2", "id-3", "id-4"]


def test_unknown_filter_is_a_400():
    with pytest.raises(errors.BadRequest):
        run({"colour": "blue"})


def test_fields_trims_views():
    assert run({"fields": ["id", "name"], "name": "b"})["things"] == [
        {"id": "id-2", "name": "b"}]


def test_sort_with_tie_broken_by_id():
    assert ids(run({"sort_key": "name", "sort_dir": "desc"})) == [
        "id-4", "id-0", "id-2", "id-1", "id-3"]


def test_pages_follow_next_links_to_the_end():
    seen, params = [], {"limit": "2", "sort_key": "name", "sort_dir": "asc"}
    while True:
        body = run(params)
        seen += ids(body)
        nxt = [link for link in body.get("things_links", []) if link["rel"] == "next"]
        if not nxt:
            break
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(nxt[0]["href"]).query))
    assert seen == ["id-1", "id-3", "id-2", "id-0", "id-4"]


def test_page_reverse_returns_the_page_before_the_marker():
    body = run({"limit": "2", "marker": "id-3", "page_reverse": "True"})
    assert ids(body) == ["id-1", "id-2"]
    assert [link["rel"] for link in body["things_links"]] == ["next", "previous"]


def test_unknown_marker_is_a_404():
    with pytest.raises(errors.NotFound):
        run({"marker": "nope", "limit": "1"})
