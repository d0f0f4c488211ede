"""Microversion negotiation from the request headers."""
import pytest

from controller.api import errors
from controller.compute.api import microversion


@pytest.mark.parametrize("header, legacy, expected", [
    (None, None, (2, 1)),
    ("compute 2.47", None, (2, 47)),
    ("volume 3.5, compute 2.60", None, (2, 60)),
    ("compute latest", None, microversion.MAX_VERSION),
    (None, "2.10", (2, 10)),
    ("compute 2.53", "2.10", (2, 53)),
    ("image 2.5", None, (2, 1)),
])
def test_requested_version(header, legacy, expected):
    assert microversion.requested(header, legacy) == expected


def test_malformed_version_is_a_bad_request():
    with pytest.raises(errors.BadRequest, match="Invalid format"):
        microversion.requested("compute 2.x", None)


@pytest.mark.parametrize("text", ["2.0", "2.999", "3.1"])
def test_version_out_of_range_is_not_acceptable(text):
    with pytest.raises(errors.NotAcceptable, match="Minimum is 2.1 and maximum is"):
        microversion.requested(f"compute {text}", None)
