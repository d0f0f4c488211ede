"""Static checks of the deployment files: the Ansible roles pass ansible-lint's
production profile and every inventory's syntax check, the GitHub workflow matches
GitHub's schema, and the Vagrantfile passes `vagrant validate` (where Vagrant is
installed; `ruby -c` otherwise)."""
import shutil
import subprocess

import pytest

from tests.lab.playbook import ANSIBLE_DIR, REPO, ansible_bin, ansible_env

INVENTORIES = ("example.yml", "aio.yml", "vagrant.yml")


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)


def test_roles_pass_ansible_lint_production_profile(tmp_path):
    result = run([str(ansible_bin("ansible-lint")), "--nocolor", "--offline"],
                 cwd=ANSIBLE_DIR, env=ansible_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stderr


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_site_yml_syntax_with_each_inventory(inventory, tmp_path):
    result = run([str(ansible_bin("ansible-playbook")), "--syntax-check",
                  "-i", f"inventory/{inventory}", "site.yml"],
                 cwd=ANSIBLE_DIR, env=ansible_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_inventories_put_hosts_in_every_group_site_yml_deploys(tmp_path):
    for inventory in INVENTORIES:
        result = run([str(ansible_bin("ansible-inventory")), "-i", f"inventory/{inventory}",
                      "--graph"], cwd=ANSIBLE_DIR, env=ansible_env(tmp_path))
        assert result.returncode == 0, result.stderr
        for group in ("database", "messaging", "controller", "compute"):
            assert f"@{group}:\n  |  |--" in result.stdout, (inventory, result.stdout)


def test_workflow_matches_githubs_schema():
    result = run([str(ansible_bin("check-jsonschema")), "--builtin-schema",
                  "vendor.github-workflows", *map(str, (REPO / ".github/workflows").glob("*.yml"))])
    assert result.returncode == 0, result.stdout + result.stderr


def test_vagrantfile_is_valid(tmp_path):
    # In a copy: loading the Vagrantfile makes the lab's deploy key beside it.
    shutil.copy(REPO / "Vagrantfile", tmp_path / "Vagrantfile")
    if shutil.which("vagrant"):
        result = run(["vagrant", "validate"], cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    elif shutil.which("ruby"):
        result = run(["ruby", "-c", "Vagrantfile"], cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        pytest.skip("neither vagrant nor ruby is installed")
