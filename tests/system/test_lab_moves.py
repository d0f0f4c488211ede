"""Live migration across the lab's two compute hosts, as an operator does it: ansible
deploys the lab (tests/lab: a controller that is also the network node, two compute
hosts with their own libvirtds, sshd and storage), the compute hosts' libvirtds log in
to each other over SSH with the key the playbook installs, and the stock ``openstack
server migrate --live-migration`` moves a running guest from one to the other and back
(block migration of its disk: the hosts share no storage) while a namespace of the
test's own on the controller's external bridge pings it by its floating IP. The lost
pings are counted and printed; the guest keeps its address, its disk and its uptime.
Then a stopped move: a cold migration and a resize between the hosts copy the guest's
disk over SSH (what it wrote onto it survives), confirmed and reverted.
"""
import time

import pytest

from tests.lab import live_migration as lab_live
from tests.lab.lab import Lab

pytestmark = [pytest.mark.system, pytest.mark.slow]

PING_INTERVAL = 0.2
# Pings a move may lose: the switch-over pauses the guest for well under a second, and
# the router learns the guest's new host from QEMU's announcement.
MAX_LOST_PINGS = 15


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, tiny_image):
    workdir = tmp_path_factory.mktemp("lab-moves")
    with Lab(workdir / "lab", lab_live.HOSTS) as lab:
        deployment = lab_live.deploy(lab, workdir)
        deployment.tiny_image = tiny_image
        yield deployment


def test_a_pinged_guest_live_migrates_between_the_compute_hosts_and_back(deployment,
                                                                        tmp_path):
    hosts = deployment.lab.hosts
    guest = lab_live.Guest(deployment, deployment.tiny_image, tmp_path, "vm-live",
                           "compute1")
    server_id = guest.server["id"]
    try:
        for source, dest, args in (("compute1", "compute2", ("--host", "compute2")),
                                   ("compute2", "compute1", ())):
            assert guest.host() == source
            uptime_before = guest.uptime()
            pinger = lab_live.Pinger(guest, PING_INTERVAL)
            time.sleep(3)
            seconds = guest.live_migrate(*args)
            time.sleep(3)
            sent, answered = pinger.stop()
            lost = sent - answered
            job = lab_live.completed_job(hosts[dest], server_id)
            print(f"live migration {source} -> {dest}: {seconds:.1f} s (CLI, --wait), "
                  f"libvirt: {job.get('Time elapsed')} ms elapsed, "
                  f"{job.get('Total downtime')} ms downtime; {sent} pings every "
                  f"{PING_INTERVAL} s, {lost} lost")
            moved = deployment.openstack("server", "show", guest.name)
            assert (moved["OS-EXT-SRV-ATTR:host"], moved["status"]) == (dest, "ACTIVE"), \
                moved.get("fault")
            assert lost <= MAX_LOST_PINGS, f"{lost} of {sent} pings lost"
            # The same guest, not a new one: it kept running (and its disk).
            assert guest.uptime() > uptime_before
            assert f"pocketstack-{server_id}" in lab_live.domains(hosts[dest])
            assert f"pocketstack-{server_id}" not in lab_live.domains(hosts[source])
            assert hosts[source].ssh(
                f"test -e /var/lib/pocketstack/instances/{server_id}",
                check=False).returncode != 0, "the source kept the guest's disks"
            assert deployment.openstack("port", "show", guest.port)[
                "binding_host_id"] == dest
            [migration] = [m for m in deployment.openstack(
                "server", "migration", "list", "--server", guest.name)
                if m["Source Compute"] == source]
            assert (migration["Type"], migration["Status"]) == ("live-migration",
                                                                "completed")
    finally:
        guest.remove()


def _settled(deployment, name, status):
    return deployment.wait_for(
        lambda: (lambda server: server if server["status"] in (status, "ERROR") else None)(
            deployment.openstack("server", "show", name)),
        timeout=600, interval=3, what=f"{name} to be {status}")


# The tiny guest's root file system is its initramfs (in RAM): what must survive a move
# is written straight onto its disk, 900 MiB in (past the boot partition).
MARK_SECTOR = 900 * 2048
WRITE_MARK = (f"'printf kept-on-disk | dd of=/dev/vda bs=512 seek={MARK_SECTOR} "
              f"conv=notrunc 2>/dev/null; sync'")
READ_MARK = f"'dd if=/dev/vda bs=512 skip={MARK_SECTOR} count=1 2>/dev/null | head -c 12'"


def _mark(guest):
    return (guest.ssh("sh", "-c", READ_MARK) or "").strip()


def test_cold_migration_and_resize_copy_the_disk_between_the_hosts(deployment, tmp_path):
    guest = lab_live.Guest(deployment, deployment.tiny_image, tmp_path, "vm-cold",
                           "compute1")
    try:
        assert guest.ssh("sh", "-c", WRITE_MARK)
        assert _mark(guest) == "kept-on-disk"
        deployment.openstack("server", "migrate", "--host", "compute2", "--wait",
                             guest.name, parse=False, timeout=600)
        moved = _settled(deployment, guest.name, "VERIFY_RESIZE")
        assert moved["OS-EXT-SRV-ATTR:host"] == "compute2", moved.get("fault")
        deployment.wait_for(guest.uptime, timeout=300, interval=5,
                            what="the migrated guest's ssh")
        assert _mark(guest) == "kept-on-disk"
        deployment.openstack("server", "migration", "confirm", guest.name, parse=False)
        assert _settled(deployment, guest.name, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == \
            "compute2"
        assert deployment.lab.hosts["compute1"].ssh(
            f"ls /var/lib/pocketstack/instances/ | grep {guest.server['id']}",
            check=False).returncode != 0, "compute1 kept the guest's disks"

        # A resize goes to the other host (not the same one) and grows the disk there;
        # its revert brings back the guest as it was on compute2.
        deployment.openstack("flavor", "create", "--ram", "160", "--vcpus", "1", "--disk",
                             "2", "lab.bigger")
        deployment.openstack("server", "resize", "--flavor", "lab.bigger", "--wait",
                             guest.name, parse=False, timeout=600)
        resized = _settled(deployment, guest.name, "VERIFY_RESIZE")
        assert resized["OS-EXT-SRV-ATTR:host"] == "compute1", resized.get("fault")
        deployment.wait_for(guest.uptime, timeout=300, interval=5,
                            what="the resized guest's ssh")
        assert _mark(guest) == "kept-on-disk"
        deployment.openstack("server", "resize", "revert", guest.name, parse=False)
        reverted = _settled(deployment, guest.name, "ACTIVE")
        assert reverted["OS-EXT-SRV-ATTR:host"] == "compute2"
        assert "'lab.micro'" in str(reverted["flavor"])      # its old flavor again
        deployment.wait_for(guest.uptime, timeout=300, interval=5,
                            what="the reverted guest's ssh")
        assert _mark(guest) == "kept-on-disk"
    finally:
        guest.remove()
