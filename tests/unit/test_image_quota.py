"""Upload limits: the largest image and the project's storage quota."""
import pytest

from controller.image import quota


def test_within_both_limits():
    quota.UploadLimits(max_image_size=100, project_quota=1000, project_usage=900).check(100)


def test_over_the_maximum_image_size():
    with pytest.raises(quota.LimitExceeded, match="maximum image size of 100 bytes"):
        quota.UploadLimits(100, 0, 0).check(101)


def test_over_the_project_quota():
    limits = quota.UploadLimits(max_image_size=10_000, project_quota=1000, project_usage=900)
    with pytest.raises(quota.LimitExceeded, match="900 of 1000 bytes are already used"):
        limits.check(101)


def test_zero_quota_is_unlimited():
    quota.UploadLimits(max_image_size=10 ** 15, project_quota=0,
                       project_usage=10 ** 14).check(10 ** 15)
