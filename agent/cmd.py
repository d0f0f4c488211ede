"""``pocketstack-agent``: the compute agent of one host (or of many simulated hosts)."""
import sys

from agent.service import AgentService
from controller.cmd import common
from controller.conf import CONF


def main(argv=None):
    common.parse_config(sys.argv[1:] if argv is None else argv)
    common.setup_logging()
    agent = AgentService(CONF)
    agent.start()
    common.run_until_signalled(agent.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
