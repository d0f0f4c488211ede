"""``pocketstack``: the operator's command line.

Each subcommand lives with the service it belongs to and takes the remaining arguments;
``pocketstack SUBCOMMAND --help`` explains it.
"""
import importlib
import os
import shutil
import sys

COMMANDS = {
    "bootstrap": ("controller.identity.bootstrap:main",
                  "create the schema, admin user and project, roles and the catalog"),
    "db-sync": ("controller.db.migration:main", "bring the database schema up to date"),
    "metadefs-load": ("controller.image.metadef_catalog:main",
                      "load the image metadata definitions catalog (namespaces not yet "
                      "there)"),
    "fernet-rotate": ("controller.identity.keys:rotate_main", "rotate the Fernet token keys"),
    "up": ("controller.cmd.allinone:main_up",
           "start the all-in-one cloud on this machine and set it up for use"),
    "down": ("controller.cmd.allinone:main_down",
             "delete the all-in-one's servers and stop it"),
    "status": ("controller.cmd.allinone:main_status", "say what of the all-in-one runs"),
    "ssh": ("controller.cmd.reach:main_ssh",
            "ssh to an all-in-one server by its floating or fixed IP, from the namespace "
            "that reaches it"),
    "exec": ("controller.cmd.reach:main_exec",
             "run a command in the namespace that reaches an all-in-one server ({ip} is "
             "its address)"),
    "l3-cleanup": ("agent.l3.cmd:main",
                   "remove this host's routers after its agent stopped (down does it)"),
    "trace": ("controller.cmd.trace:main",
              "show a server's build as a timeline of the steps it went through"),
    "host": ("controller.cmd.drain:main",
             "host drain HOST: disable a compute host and move its servers off"),
    "config-sample": ("controller.cmd.config_sample:main",
                      "print a documented sample configuration file"),
}
# Commands that drive libvirt, bridges and namespaces or read the all-in-one's state and
# secrets: a user who is not root runs them through sudo, as the README's commands are
# written.
AS_ROOT = {"up", "down", "status", "ssh", "exec", "l3-cleanup", "trace"}


def usage():
    lines = ["usage: pocketstack COMMAND [ARGS...]", "", "commands:"]
    width = max(len(name) for name in COMMANDS)
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"pocketstack: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if name in AS_ROOT and os.geteuid() != 0 and shutil.which("sudo"):
        os.execvp("sudo", ["sudo", "--", sys.executable, "-m", "controller.cmd.cli", *argv])
    module, function = COMMANDS[name][0].split(":")
    return getattr(importlib.import_module(module), function)(rest) or 0


if __name__ == "__main__":
    sys.exit(main())
