"""``pocketstack-agent``: the compute agent of one host (or of many simulated hosts)."""
import sys

from agent.service import AgentService
from conf import CONF, groups_of
from contract import service_startup


def main(argv=None):
    service_startup.parse_config(sys.argv[1:] if argv is None else argv,
                                 groups_of("agent"))
    service_startup.setup_logging()
    agent = AgentService(CONF)
    agent.start()
    service_startup.run_until_signalled(agent.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
