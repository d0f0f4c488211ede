"""The objects that cross RPC between the controller and the agents, each with a
version (``oslo.versionedobjects``); see ``contract.objects.base`` for the
compatibility rule.

Import this package (not its modules) so that every object is registered before a
message is read.
"""
from contract.objects.base import (  # noqa: F401
    ObjectSerializer, PocketstackObject, backport, versions)
from contract.objects.block_device import BlockDeviceMapping  # noqa: F401
from contract.objects.instance import Instance  # noqa: F401
from contract.objects.migration import Migration  # noqa: F401
from contract.objects.network import VirtualInterface  # noqa: F401
