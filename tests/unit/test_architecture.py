"""The package boundaries and the option registrations, checked on the source itself.

The agent and the controller share ``contract`` and ``conf`` and nothing else: across
the boundary only the RPC client modules are imported (``controller/cmd/`` composes
both). Every option a service's code reads is one that service registers at start-up.
"""
import ast
import pathlib

import pytest
from oslo_config import cfg

import conf

ROOT = pathlib.Path(__file__).resolve().parents[2]


def modules(package, exclude=()):
    """(path relative to the checkout, AST) of every module under ``package``."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(tuple(exclude)):
            found.append((relative, ast.parse(path.read_text(), relative)))
    return found


def imported_modules(tree):
    """Every module an import statement anywhere in ``tree`` names (``from a import b``
    names ``a.b`` too, since ``b`` may be a module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def crossings(package, other, exclude=()):
    """Imports of ``other`` from ``package``, as ``path:line module``."""
    found = set()
    for path, tree in modules(package, exclude):
        for lineno, name in imported_modules(tree):
            if name == other or name.startswith(other + "."):
                found.add((path, lineno, name))
    return found


def only_rpcapi(found):
    """The crossings that are not (a prefix of) an import of an ``rpcapi`` module."""
    allowed = set()
    for path, lineno, name in found:
        if name.endswith(".rpcapi"):
            # ``from controller.conductor.rpcapi import ConductorAPI`` also names
            # ``controller.conductor.rpcapi.ConductorAPI``; ``from controller.conductor
            # import rpcapi`` names ``controller.conductor`` first.
            allowed |= {(p, n, m) for p, n, m in found
                        if p == path and n == lineno
                        and (name.startswith(m + ".") or m.startswith(name + "."))}
            allowed.add((path, lineno, name))
    return sorted(f"{path}:{lineno} {name}" for path, lineno, name in found - allowed)


def test_agent_imports_only_the_controllers_rpc_clients():
    assert only_rpcapi(crossings("agent", "controller")) == []


def test_controller_imports_only_the_agents_rpc_client():
    """``controller/cmd/`` (the entry points) may compose both sides."""
    found = crossings("controller", "agent", exclude=("controller/cmd/",))
    assert only_rpcapi(found) == []
    assert {name for _, _, name in found} <= {"agent.rpcapi", "agent.rpcapi.AgentAPI"}


def test_shared_packages_import_neither_side():
    for package in ("contract", "conf"):
        assert not crossings(package, "controller") | crossings(package, "agent"), package


def test_the_rule_checker_catches_a_crossing():
    tree = ast.parse("from controller.compute import network\n"
                     "from controller.conductor.rpcapi import ConductorAPI\n"
                     "def f():\n    import agent.service\n")
    names = {name for _, name in imported_modules(tree)}
    assert {"controller.compute.network", "controller.conductor.rpcapi", "agent.service"} \
        <= names
    found = {("m.py", lineno, name) for lineno, name in imported_modules(tree)
             if name.startswith("controller")}
    assert only_rpcapi(found) == ["m.py:1 controller.compute",
                                  "m.py:1 controller.compute.network"]


# --- options ---------------------------------------------------------------------------

def registered(services):
    """{group: option names} that ``services`` register (conf.register of their groups)."""
    options = cfg.ConfigOpts()
    conf.register(options, conf.groups_of(*services))
    groups = {"DEFAULT": {opt["opt"].dest for opt in options._opts.values()}}
    for group in options._groups.values():
        groups[group.name] = {opt["opt"].dest for opt in group._opts.values()}
    return groups


ALL_GROUPS = {group for group, _ in conf.list_opts()}
DEFAULT_NAMES = {opt.dest for group, opts in conf.list_opts() if group == "DEFAULT"
                 for opt in opts}


def _is_conf(node):
    """``CONF``, ``conf`` or ``<anything>.conf``: what holds a process's options."""
    return ((isinstance(node, ast.Name) and node.id in ("CONF", "conf"))
            or (isinstance(node, ast.Attribute) and node.attr == "conf"))


def option_reads(tree):
    """(line, group, option) of each ``CONF.<group>.<option>``, ``conf.<group>`` and
    ``conf.<option of [DEFAULT]>`` read in ``tree``; option None for a whole group."""
    reads = []
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and _is_conf(node.value)):
            continue
        if node.attr in ALL_GROUPS:
            parent = parents.get(node)
            option = parent.attr if isinstance(parent, ast.Attribute) else None
            reads.append((node.lineno, node.attr, option))
        elif node.attr in DEFAULT_NAMES:
            reads.append((node.lineno, "DEFAULT", node.attr))
    return reads


def unregistered_reads(packages, services, exclude=()):
    have = registered(services)
    missing = []
    for package in packages:
        for path, tree in modules(package, exclude):
            for lineno, group, option in option_reads(tree):
                if group not in have or (option is not None and option not in have[group]
                                         and not option.startswith("_")
                                         and option not in dir(cfg.ConfigOpts.GroupAttr)):
                    missing.append(f"{path}:{lineno} [{group}] {option}")
    return missing


CONTROLLER_SERVICES = ("api", "conductor", "scheduler", "console_proxy", "manage")


@pytest.mark.parametrize("packages, services", [
    (("agent", "contract"), ("agent",)),
    (("controller", "contract"), CONTROLLER_SERVICES),
], ids=["agent", "controller"])
def test_every_option_read_is_registered_by_its_service(packages, services):
    assert unregistered_reads(packages, services) == []


def test_the_option_checker_catches_an_unregistered_read():
    tree = ast.parse("def f(conf):\n    return conf.libvirt.virt_type, CONF.network.nope,"
                     " self.conf.compute.build_timeout, conf.host\n")
    assert sorted(option_reads(tree)) == [(2, "DEFAULT", "host"),
                                           (2, "compute", "build_timeout"),
                                           (2, "libvirt", "virt_type"), (2, "network", "nope")]
    have = registered(("scheduler",))
    assert "libvirt" not in have and "nope" not in registered(("agent",))["network"]


def test_config_sample_lists_every_group_of_every_service():
    groups = [group for group, _ in conf.list_opts()]
    assert sorted(groups) == sorted(set(conf.groups_of(*conf.SERVICE_GROUPS)))
    assert len(groups) == len(set(groups))
