"""The all-in-one deployment: the same roles with everything on one host and
``connection: local``, as `ansible-playbook -i inventory/aio.yml site.yml` runs it.

"Local" is a lab host (tests/lab) rather than this machine's root namespace: Ansible runs
inside the host's namespaces, so the all-in-one gets its own addresses, ports, /run, pid
files, libvirtd, PostgreSQL and RabbitMQ, and cannot disturb the other tests (or the
machine's own services) however it is configured.
"""
import re
import subprocess

import pytest

from tests.lab.deployment import Deployment
from tests.lab.lab import Lab
from tests.system.test_compute_libvirt import allow_in_default_group

pytestmark = [pytest.mark.system, pytest.mark.slow]

GROUPS = {group: ["aio"] for group in ("database", "messaging", "controller", "compute")}


@pytest.fixture(scope="module")
def aio(tmp_path_factory, tiny_image):
    workdir = tmp_path_factory.mktemp("deploy-aio")
    with Lab(workdir / "lab", ["aio"]) as lab:
        deployment = Deployment(lab, GROUPS, workdir, local_host="aio")
        deployment.first_run = deployment.run("deploy-1.log")
        deployment.tiny_image = tiny_image
        yield deployment


def test_site_yml_deploys_everything_on_the_local_host(aio):
    run = aio.first_run
    assert run.returncode == 0, run.tail()
    assert set(run.recap) == {"localhost"}, run.recap
    assert run.recap["localhost"]["failed"] == 0
    assert aio.compute_states() == {"aio": "up"}


def test_second_run_changes_nothing(aio):
    run = aio.run("deploy-2.log")
    assert run.returncode == 0, run.tail()
    assert run.recap["localhost"]["changed"] == 0, "\n".join(run.changed_tasks())


def test_a_server_boots_and_answers_on_its_network(aio):
    aio.upload_image(aio.tiny_image)
    aio.openstack("flavor", "create", "--ram", "128", "--vcpus", "1", "--disk", "1",
                  "aio.micro")
    network = aio.openstack("network", "create", "aio-net")
    aio.openstack("subnet", "create", "--network", "aio-net", "--subnet-range",
                  "10.78.0.0/24", "aio-subnet")
    # Pinged from the network's namespace: its default group lets ICMP in.
    allow_in_default_group(aio.openstack, ("--protocol", "icmp"))
    server = aio.openstack("server", "create", "--image", "pocketstack-tiny", "--flavor",
                           "aio.micro", "--network", "aio-net", "--wait", "vm1")
    assert server["status"] == "ACTIVE", server.get("fault")
    address = re.search(r"(\d+\.\d+\.\d+\.\d+)", str(server["addresses"])).group(1)

    aio.wait_for(lambda: "hostname: vm1" in aio.console("vm1"), timeout=180,
                 what="vm1's banner on its console")
    # The host's DHCP namespace for the network sits on the guest's bridge.
    host = aio.lab.hosts["aio"]
    aio.wait_for(
        lambda: subprocess.run(host.enter("ip", "netns", "exec", f"qdhcp-{network['id']}",
                                          "ping", "-c", "1", "-W", "2", address),
                               capture_output=True).returncode == 0,
        timeout=60, what=f"vm1 ({address}) to answer ping")
