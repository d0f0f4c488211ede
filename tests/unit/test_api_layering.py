"""HTTP handlers parse, authorize and call one operation: the operations own the
transactions, so no module under a service's ``api/`` package opens a database session."""
import ast
import pathlib

import pytest

CONTROLLER = pathlib.Path(__file__).resolve().parents[2] / "controller"

# Service packages whose handlers must not hold sessions.
SERVICES = ["identity", "image", "network", "volume"]


def session_calls(path):
    """Line numbers of ``<anything>.session(...)`` calls in the module at ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "session"]


def test_scan_finds_a_session_call(tmp_path):
    module = tmp_path / "handler.py"
    module.write_text("def on_get(self):\n    with self.runtime.db.session() as s:\n"
                      "        pass\n")
    assert session_calls(module) == [2]


@pytest.mark.parametrize("service", SERVICES)
def test_handlers_open_no_session(service):
    api = CONTROLLER / service / "api"
    modules = sorted(api.rglob("*.py"))
    assert modules, f"no API modules found under {api}"
    offenders = {str(path.relative_to(CONTROLLER)): lines for path in modules
                 if (lines := session_calls(path))}
    assert offenders == {}
