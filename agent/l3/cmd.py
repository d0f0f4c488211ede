"""``pocketstack l3-cleanup``: remove every router this host built (namespaces, veths,
their ports' bridges once unused) after its agent stopped, as ``pocketstack down``
does. A running agent would rebuild them at its next sync."""
from agent.l3.agent import L3Agent
from conf import CONF, groups_of
from contract import service_startup


def main(argv):
    service_startup.parse_config(argv, groups_of("agent"))
    service_startup.setup_logging()
    L3Agent(CONF).remove_all()
    return 0
