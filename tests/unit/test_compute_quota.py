"""Quota arithmetic: what fits, what does not, and the message that says why."""
import pytest

from controller.compute import quota


def test_request_within_limits_passes():
    quota.check({"instances": 10, "cores": 20, "ram": 2048},
                {"instances": 9, "cores": 18, "ram": 1024},
                quota.server_request(1, 2, 1024))


def test_first_resource_over_its_limit_is_named():
    with pytest.raises(quota.QuotaExceeded) as caught:
        quota.check({"instances": 10, "cores": 4, "ram": 51200},
                    {"instances": 1, "cores": 3, "ram": 0},
                    quota.server_request(1, 2, 512))
    assert caught.value.resource == "cores"
    assert str(caught.value) == ("Quota exceeded for cores: Requested 2, but already used "
                                 "3 of 4 cores")
    assert caught.value.code == 403


def test_unlimited_and_zero_requests_never_fail():
    quota.check({"instances": quota.UNLIMITED}, {"instances": 10 ** 6}, {"instances": 5})
    quota.check({"instances": 0}, {"instances": 3}, {"instances": 0})


def test_server_request_multiplies_by_count():
    assert quota.server_request(3, 2, 512) == {"instances": 3, "cores": 6, "ram": 1536}
