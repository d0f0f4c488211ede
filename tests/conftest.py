"""Shared fixtures: a bootstrapped cloud per test module, cleaned up even on failure."""
import pytest

from tests.lib.cloud import Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """A running all-in-one cloud with the fake virt driver."""
    instance = Cloud(tmp_path_factory.mktemp("cloud"))
    try:
        yield instance.start()
    finally:
        instance.stop()
