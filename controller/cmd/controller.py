"""``pocketstack-controller``: the controller's services in one process.

``--roles api,conductor,scheduler`` picks which to run (default: all three);
``--with-agent`` adds a compute agent in the same process (the all-in-one, which may then
use the in-process ``fake://`` transport).
"""
import logging
import sys

from oslo_config import cfg

from conf import CONF, groups_of, register
from contract import service_startup
from controller import service

CLI_OPTS = [
    cfg.ListOpt("roles", default=list(service.ROLES),
                help="Controller services to run here: api, conductor, scheduler."),
    cfg.BoolOpt("with-agent", default=False,
                help="Also run a compute agent in this process (all-in-one)."),
]

LOG = logging.getLogger(__name__)


def main(argv=None):
    service_startup.parse_config(sys.argv[1:] if argv is None else argv,
                                 groups_of(*service.ROLES), CLI_OPTS)
    service_startup.setup_logging()
    controller = service.ControllerService(CONF, roles=CONF.roles)
    controller.start()
    agent = None
    if CONF.with_agent:
        from agent.service import AgentService
        register(CONF, groups_of("agent"))
        agent = AgentService(CONF)
        agent.start()
    LOG.info("pocketstack controller running: %s%s", ",".join(CONF.roles),
             " + agent" if agent else "")

    def stop():
        if agent is not None:
            agent.stop()
        controller.stop()

    service_startup.run_until_signalled(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
