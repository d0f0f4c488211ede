"""The agent never touches the database: it does not even import the code that could."""
import json
import subprocess
import sys

from conf import agent, fake_driver, service_credentials

PROBE = """
import json, sys
import agent.cmd, agent.service, agent.manager, agent.virt.fake
print(json.dumps(sorted(sys.modules)))
"""


def test_agent_imports_no_database_code():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            check=True, timeout=60)
    modules = json.loads(result.stdout.splitlines()[-1])
    assert "agent.manager" in modules
    assert not [m for m in modules if m == "sqlalchemy" or m.startswith("sqlalchemy.")]
    # Our services' models; requests.models and the like are HTTP, not database.
    assert not [m for m in modules if m.startswith(("controller.db", "alembic"))
                or (m.endswith(".models") and m.startswith(("controller.", "agent.")))]


def test_agent_options_name_no_database():
    for group, options in (agent.list_opts() + fake_driver.list_opts()
                           + service_credentials.list_opts()):
        for option in options:
            assert "connection" not in option.name, (group, option.name)
            assert "database" not in (option.help or "").lower(), (group, option.name)
