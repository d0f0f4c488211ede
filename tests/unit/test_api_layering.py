"""HTTP handlers parse, authorize and call an operation; they never open a database
session themselves (the operations own the transactions)."""
import ast
import pathlib

import pytest

import controller

CONTROLLER = pathlib.Path(controller.__file__).parent
SERVICES = sorted(path.parent.name for path in CONTROLLER.glob("*/api"))


def session_uses(source):
    """Line numbers where ``source`` reaches for ``<...>.db.session`` or ``db.session``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "session":
            owner = node.value
            if ((isinstance(owner, ast.Name) and owner.id == "db")
                    or (isinstance(owner, ast.Attribute) and owner.attr == "db")):
                lines.append(node.lineno)
    return lines


def test_scanner_finds_sessions():
    assert session_uses("with self.svc.db.session() as s:\n    pass\n") == [1]
    assert session_uses("def f(db):\n    return db.session\n") == [2]
    assert session_uses("ops.create(self.svc.db, session_id)\nrequest.session\n") == []


def test_every_service_is_scanned():
    assert {"compute", "identity", "image", "network", "volume"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_handlers_open_no_database_session(service):
    offenders = {}
    for path in sorted((CONTROLLER / service / "api").rglob("*.py")):
        lines = session_uses(path.read_text())
        if lines:
            offenders[str(path.relative_to(CONTROLLER.parent))] = lines
    assert not offenders, f"handlers opening database sessions: {offenders}"
