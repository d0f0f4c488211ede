"""The systematic half of the fuzz suite: every field of every route's valid body (see
examples.py) replaced in turn by each value issue 19 found to break storage, URLs or
renderers, and every list endpoint asked with hostile paging and filter parameters.
Random search rarely lands a 2^63 in a quota's one field; this sweep lands it in all.
All failures of a route are reported together."""
import re

import pytest
import requests

from tests.fuzz import conftest, examples
from tests.fuzz.test_routes import (DEEP_VALUE, SERVICE_OF, SLOWEST, _routes, _serialized,
                                    error_format_problem)

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

FIELD_VALUES = [2 ** 63, -2 ** 63 - 1, 1e308, 2.0, "\ud800", "a\x00b", "x" * 300,
                DEEP_VALUE, None, {}]
QUERY_VALUES = ["0", "-1", str(2 ** 63), "1e308", "%ED%A0%80", "(a+)+$", "x" * 300]
QUERY_NAMES = ["limit", "marker", "name", "status", "sort_key", "sort_dir",
               "all_tenants", "changes-since", "minRam", "offset", "visibility"]


def _seeded_routes():
    return [(prefix, template, method, index)
            for (prefix, template, method), seeds in examples.EXAMPLES.items()
            for index in range(len(seeds))]


def _leaves(document):
    return [path for path in examples.paths(document)
            if path and not isinstance(_at(document, path), (dict, list))
            or path and _at(document, path) in ({}, [])]


def _at(document, path):
    for key in path:
        document = document[key]
    return document


def _check(fuzz, service, method, url, body=None, content_type="application/json"):
    headers = {"X-Auth-Token": fuzz.tokens["admin"], "Content-Type": content_type,
               "OpenStack-API-Version": "compute 2.79, volume 3.44"}
    resp = requests.request(method, fuzz.cloud.url + url, data=body, headers=headers,
                            timeout=30)
    took = resp.elapsed.total_seconds()
    where = f"{method} {url} {(body or b'')[:200]!r}"
    if resp.status_code >= 500 and not (resp.status_code == 501
                                        and "notImplemented" in resp.text):
        return f"{where} -> {resp.status_code} {resp.text[:300]}"
    if took >= SLOWEST:
        return f"{where} took {took:.2f} s"
    if resp.status_code >= 400:
        problem = error_format_problem(service, resp)
        if problem:
            return f"{where} -> {resp.status_code}: {problem}"
    return None


def _url(fuzz, prefix, template):
    def pick(name):
        if name == "project_id" and prefix == "/volume":
            return fuzz.admin_project
        pool = fuzz.pools.get(f"{prefix}:{name}", fuzz.pools.get(name, []))
        return pool[0] if pool else "00000000-0000-4000-8000-000000000000"
    return prefix + re.sub(r"{(\w+)}", lambda m: pick(m.group(1)), template)


@pytest.mark.parametrize("prefix,template,method,index", _seeded_routes(),
                         ids=lambda value: str(value))
def test_every_field_with_every_hostile_value(fuzz, prefix, template, method, index):
    seed = examples.fill(examples.EXAMPLES[(prefix, template, method)][index], fuzz.pools)
    content_type = ("application/openstack-images-v2.1-json-patch"
                    if method == "PATCH" and prefix == "/image" else "application/json")
    url = _url(fuzz, prefix, template)
    failures = []
    for path in _leaves(seed):
        for value in FIELD_VALUES:
            body = _serialized(examples.replaced(seed, path, lambda old: value))
            failure = _check(fuzz, SERVICE_OF[prefix], method, url, body, content_type)
            if failure:
                failures.append(failure)
    assert not failures, "\n".join(failures)


def _list_routes():
    return [(prefix, template) for prefix, template, method in _routes()
            if method == "GET" and "{" not in template.replace("{project_id}", "")]


@pytest.mark.parametrize("prefix,template", _list_routes(), ids=lambda value: str(value))
def test_every_list_with_hostile_parameters(fuzz, prefix, template):
    url = _url(fuzz, prefix, template)
    failures = []
    for name in QUERY_NAMES:
        for value in QUERY_VALUES:
            failure = _check(fuzz, SERVICE_OF[prefix], "GET", f"{url}?{name}={value}")
            if failure:
                failures.append(failure)
    assert not failures, "\n".join(failures)


def test_lists_still_answer_after_the_sweep(fuzz):
    after = conftest.list_statuses(fuzz)
    broken = {key: (fuzz.baseline[key], status) for key, status in after.items()
              if status != 200 and fuzz.baseline.get(key) == 200}
    assert not broken, broken
