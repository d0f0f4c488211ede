"""Parsing the block storage API's microversion header."""
import pytest

from controller.api import errors
from controller.volume.api import faults, microversions


def test_missing_header_is_the_minimum():
    assert microversions.requested(None) == (3, 0)


def test_header_forms():
    assert microversions.requested("volume 3.27") == (3, 27)
    assert microversions.requested("compute 2.1, volume 3.44") == (3, 44)
    assert microversions.requested("volume latest") == microversions.MAX_VERSION
    assert microversions.requested(None, "3.50") == (3, 50)


def test_header_for_another_service_is_ignored():
    assert microversions.requested("compute 2.90") == (3, 0)


def test_out_of_range_is_not_acceptable():
    with pytest.raises(errors.NotAcceptable, match="Version 3.99 is not supported"):
        microversions.requested("volume 3.99")
    with pytest.raises(errors.NotAcceptable):
        microversions.requested("volume 2.0")


def test_garbage_is_bad_request():
    with pytest.raises(errors.BadRequest, match="Invalid format"):
        microversions.requested("volume three")


def test_cinder_fault_body():
    assert faults.cinder_fault(400, "nope", "BadRequest") == {
        "badRequest": {"code": 400, "message": "nope"}}
    assert list(faults.cinder_fault(404, "x", "NotFound")) == ["itemNotFound"]
    assert list(faults.cinder_fault(413, "x", "RequestEntityTooLarge")) == ["overLimit"]
    assert list(faults.cinder_fault(500, "x", "ApiError")) == ["computeFault"]
