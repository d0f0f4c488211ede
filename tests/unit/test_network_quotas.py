"""The quota arithmetic and the PUT body's values, without a database."""
import pytest

from controller.api import errors
from controller.network import quotas
from controller.network.api.quotas import limit

LIMITS = {"network": 2, "subnet": quotas.UNLIMITED, "port": 0}


def test_exceeded_names_what_one_more_would_put_over():
    usage = {"network": 1, "subnet": 10**6, "port": 0}
    assert quotas.exceeded(LIMITS, usage, {"network": 1}) == []
    assert quotas.exceeded(LIMITS, usage, {"network": 2}) == ["network"]
    assert quotas.exceeded(LIMITS, usage, {"subnet": 1}) == []          # unlimited
    assert quotas.exceeded(LIMITS, usage, {"port": 1, "network": 5}) == ["network", "port"]
    assert quotas.exceeded(LIMITS, usage, {"port": 0}) == []


def test_over_quota_is_neutrons_409():
    error = quotas.over_quota(["port", "network"])
    assert (error.status, error.error_type) == (409, "OverQuota")
    assert error.message == "Quota exceeded for resources: ['network', 'port']."


def test_below_usage_finds_limits_under_what_is_used():
    usage = {"network": 3, "subnet": 5, "port": 0}
    assert quotas.below_usage(LIMITS, usage) == [("network", 2, 3)]
    assert quotas.below_usage({"network": 3}, usage) == []


@pytest.mark.parametrize("value, expected", [(-1, -1), (0, 0), ("12", 12), (2**31 - 1,
                                                                            2**31 - 1)])
def test_limits_from_minus_one_to_the_column_maximum(value, expected):
    assert limit("port", value) == expected


@pytest.mark.parametrize("value", [-2, 2**31, "ten", 1.5j, None, False, [1]])
def test_other_limits_are_refused(value):
    with pytest.raises(errors.BadRequest):
        limit("port", value)
