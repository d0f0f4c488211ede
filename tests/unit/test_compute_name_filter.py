"""The servers' ``name`` filter runs on RE2: no pattern can make it slow."""
import time

import pytest

from controller.api import errors
from controller.compute import name_filter


def _names(pattern, names, **kwargs):
    return name_filter.matching(pattern, names, lambda name: name, **kwargs)


def test_it_searches_like_novas_regex_filter():
    assert _names("vm", ["vm1", "my-vm", "other"]) == ["vm1", "my-vm"]
    assert _names("^vm[0-9]$", ["vm1", "vm10", "xvm1"]) == ["vm1"]
    assert _names("(?i)VM", ["vm1", "x"]) == ["vm1"]
    assert _names("żółw", ["żółw-1", "zolw"]) == ["żółw-1"]


def test_a_catastrophic_pattern_answers_in_linear_time():
    names = ["a" * n + "b" for n in range(20, 60)] * 50
    started = time.monotonic()
    assert _names("(a+)+$", names) == []
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("pattern", [r"(\w)\1", "(?=a)b", "[", "a{1000}{1000}",
                                     "((a{100}){100}){100}"])
def test_patterns_re2_cannot_run_are_400(pattern):
    with pytest.raises(errors.BadRequest) as info:
        _names(pattern, ["a"])
    assert "Invalid name filter" in info.value.message


def test_a_filter_over_its_time_budget_is_400():
    with pytest.raises(errors.BadRequest) as info:
        _names("a", ["a" * 1000] * 100000, budget_seconds=0.0)
    assert "takes too long" in info.value.message
