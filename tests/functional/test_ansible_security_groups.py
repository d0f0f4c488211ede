"""Ansible's openstack.cloud modules against a cloud (fake driver): a playbook making a
security group, its rules and a server in it runs twice; the second run changes
nothing and does not fail (the server module reads /servers/{id}/os-security-groups)."""
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.lib.cloud import ADMIN_PASSWORD

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "..", "..",
                                ".venv-ansible", "bin", "ansible-playbook")

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: a security group
      openstack.cloud.security_group:
        cloud: test
        name: ans-web
        description: web servers
    - name: SSH in
      openstack.cloud.security_group_rule:
        cloud: test
        security_group: ans-web
        protocol: tcp
        port_range_min: 22
        port_range_max: 22
        remote_ip_prefix: 0.0.0.0/0
    - name: ping in
      openstack.cloud.security_group_rule:
        cloud: test
        security_group: ans-web
        protocol: icmp
        remote_ip_prefix: 0.0.0.0/0
    - name: a server in it
      openstack.cloud.server:
        cloud: test
        name: ans-vm
        image: "{{ image }}"
        flavor: "{{ flavor }}"
        network: "{{ network }}"
        security_groups: [ans-web]
        auto_ip: false
        wait: true
        timeout: 180
"""


@pytest.fixture(scope="module")
def project(cloud, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ansible-sg")
    image = cloud.blank_image("ans-tiny", "--public")["id"]
    cloud.openstack("flavor", "create", "--ram", "64", "--vcpus", "1", "--disk", "1",
                    "ans.nano")
    network = cloud.openstack("network", "create", "ans-net")["id"]
    cloud.openstack("subnet", "create", "--network", "ans-net", "--subnet-range",
                    "10.79.0.0/24", "ans-subnet")
    clouds = {"clouds": {"test": {"auth": {
        "auth_url": cloud.auth_url, "username": "admin", "password": ADMIN_PASSWORD,
        "project_name": "admin", "user_domain_name": "Default",
        "project_domain_name": "Default"}, "region_name": "RegionOne",
        "identity_api_version": 3}}}
    (workdir / "clouds.yaml").write_text(yaml.safe_dump(clouds))
    # openstack.cloud 2.5.0 reads ``openstack.version`` after a bare ``import openstack``,
    # which openstacksdk 4.x no longer imports itself: a client-side incompatibility, so
    # the modules' Python imports it first.
    (workdir / "sitecustomize.py").write_text("import openstack.version  # noqa\n")
    (workdir / "site.yml").write_text(PLAYBOOK)
    return {"dir": workdir, "image": image, "network": network}


def run_playbook(project, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(project["dir"] / "clouds.yaml"),
               PYTHONPATH=str(project["dir"]),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    extra = (f"image={project['image']} flavor=ans.nano network={project['network']} "
             f"ansible_python_interpreter={sys.executable}")
    result = subprocess.run([os.path.abspath(ANSIBLE_PLAYBOOK), "-i", "localhost,",
                             str(project["dir"] / "site.yml"), "-e", extra],
                            env=env, capture_output=True, text=True, timeout=600)
    (project["dir"] / log).write_text(result.stdout + result.stderr)
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+"
                      r"failed=(\d+)", result.stdout)
    assert recap, result.stdout[-3000:] + result.stderr[-3000:]
    return result, dict(zip(("ok", "changed", "unreachable", "failed"),
                            map(int, recap.groups())))


def test_second_run_changes_nothing(cloud, project):
    first, counts = run_playbook(project, "run-1.log")
    assert first.returncode == 0 and counts["failed"] == 0, first.stdout[-4000:]
    assert counts["changed"] == 4, first.stdout[-4000:]
    second, counts = run_playbook(project, "run-2.log")
    assert second.returncode == 0 and counts["failed"] == 0, second.stdout[-4000:]
    assert counts["changed"] == 0, second.stdout[-4000:]
    server = cloud.openstack("server", "show", "ans-vm")
    assert "ans-web" in str(server["security_groups"])
