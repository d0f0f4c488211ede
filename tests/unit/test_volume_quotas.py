"""Quota arithmetic of the block storage service."""
import pytest

from controller.volume import quotas

LIMITS = {"volumes": 2, "snapshots": 1, "gigabytes": 10, "per_volume_gigabytes": 5}
EMPTY = {"volumes": 0, "snapshots": 0, "gigabytes": 0, "per_volume_gigabytes": 0}


def test_within_limits_passes():
    quotas.check(LIMITS, EMPTY, volumes=1, gigabytes=5, volume_size=5)
    quotas.check(LIMITS, {**EMPTY, "volumes": 1, "gigabytes": 5}, volumes=1, gigabytes=5,
                 volume_size=5)


def test_volume_count():
    with pytest.raises(quotas.QuotaExceeded,
                       match=r"Maximum number of volumes allowed \(2\) exceeded"):
        quotas.check(LIMITS, {**EMPTY, "volumes": 2}, volumes=1, gigabytes=1, volume_size=1)


def test_snapshot_count():
    with pytest.raises(quotas.QuotaExceeded, match="snapshots allowed"):
        quotas.check(LIMITS, {**EMPTY, "snapshots": 1}, snapshots=1, gigabytes=1)


def test_gigabytes_counts_what_is_consumed():
    with pytest.raises(quotas.QuotaExceeded) as exc:
        quotas.check(LIMITS, {**EMPTY, "gigabytes": 8}, volumes=1, gigabytes=3, volume_size=3)
    assert str(exc.value) == ("Requested volume or snapshot exceeds allowed gigabytes "
                              "quota. Requested 3G, quota is 10G and 8G has been consumed.")


def test_per_volume_limit_applies_to_the_resulting_size():
    with pytest.raises(quotas.QuotaExceeded, match="larger than maximum allowed limit 5G"):
        quotas.check(LIMITS, EMPTY, gigabytes=1, volume_size=6)


def test_unlimited():
    unlimited = dict.fromkeys(LIMITS, quotas.UNLIMITED)
    quotas.check(unlimited, {**EMPTY, "volumes": 10 ** 6, "gigabytes": 10 ** 9},
                 volumes=1, gigabytes=10 ** 6, volume_size=10 ** 6)


def test_zero_delta_never_fails_even_over_limit():
    # Lowering a limit below usage must not block unrelated operations.
    quotas.check(LIMITS, {**EMPTY, "volumes": 5, "gigabytes": 50}, snapshots=1)
