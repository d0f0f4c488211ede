"""Start-up shared by every console script (controller, agent, operator commands):
configuration, logging, running until a signal."""
import logging
import signal
import sys
import threading

from conf import CONF, register


def parse_config(argv, groups, cli_opts=()):
    """Register the option ``groups`` the process's services use (``conf.groups_of``),
    then parse ``--config-file`` and CLI options into the global CONF."""
    register(CONF, groups)
    for opt in cli_opts:
        CONF.register_cli_opt(opt)
    CONF(argv, project="pocketstack", default_config_files=[])


def setup_logging(conf=CONF):
    handler = (logging.FileHandler(conf.log_file) if conf.log_file
               else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    for noisy in ("oslo_messaging", "amqp", "kombu", "urllib3", "stevedore", "alembic",
                  "oslo_policy", "pyroute2"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_until_signalled(stop):
    """Block until SIGTERM or SIGINT, then call ``stop``."""
    done = threading.Event()

    def _handler(signum, _frame):
        logging.getLogger(__name__).info("signal %d: stopping", signum)
        done.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    while not done.wait(1):
        pass
    stop()
