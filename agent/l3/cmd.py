"""``pocketstack l3-cleanup``: remove every router this host built (namespaces, veths,
their ports' bridges once unused) after its agent stopped, as ``pocketstack down``
does. A running agent would rebuild them at its next sync."""
from agent.l3.agent import L3Agent
from controller.cmd import common
from controller.conf import CONF
import controller.network.conf  # noqa: F401  (registers [network] and [l3])


def main(argv):
    common.parse_config(argv)
    common.setup_logging()
    L3Agent(CONF).remove_all()
    return 0
