"""``pocketstack-controller``: the controller's services in one process.

``--roles api,conductor,scheduler,console_proxy`` picks which to run (default: all of
them; a multi-host deployment runs the console proxy as a process of its own);
``--with-agent`` adds a compute agent in the same process (the all-in-one, which may then
use the in-process ``fake://`` transport).
"""
import logging
import sys

from oslo_config import cfg

from conf import CONF, groups_of, register
from contract import service_startup
from controller import service
from controller.cmd import process_lock

CLI_OPTS = [
    cfg.ListOpt("roles", default=list(service.ROLES),
                help="Controller services to run here: api, conductor, scheduler, "
                     "console_proxy."),
    cfg.BoolOpt("with-agent", default=False,
                help="Also run a compute agent in this process (all-in-one)."),
    cfg.StrOpt("lock-file",
               help="Hold this lock file while running, recording pid and start time "
                    "(the all-in-one's; refuses to start when another process holds it)."),
]

LOG = logging.getLogger(__name__)


def main(argv=None):
    service_startup.parse_config(sys.argv[1:] if argv is None else argv,
                                 groups_of(*service.ROLES), CLI_OPTS)
    service_startup.setup_logging()
    lock = process_lock.ProcessLock(CONF.lock_file) if CONF.lock_file else None
    if lock is not None and not lock.acquire():
        LOG.error("Another pocketstack process holds %s: not starting.", CONF.lock_file)
        return 1
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

    try:
        service_startup.run_until_signalled(stop)
    finally:
        if lock is not None:
            lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
