"""``pocketstack trace``: a real build's events, laid out as the seed's steps."""

import pytest


@pytest.fixture(scope="module")
def server(cloud, tmp_path_factory):
    image = tmp_path_factory.mktemp("img") / "tiny.qcow2"
    import subprocess
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "16M"], check=True)
    cloud.openstack("image", "create", "--file", str(image), "--disk-format", "qcow2",
                    "--container-format", "bare", "trace-img")
    cloud.openstack("flavor", "create", "--ram", "64", "--vcpus", "1", "--disk", "1",
                    "trace-flavor")
    return cloud.openstack("server", "create", "--image", "trace-img", "--flavor",
                           "trace-flavor", "--nic", "none", "--wait", "traced")


def test_trace_shows_each_step_with_durations(cloud, server, tmp_path):
    assert server["status"] == "ACTIVE"
    page = tmp_path / "trace.html"
    result = cloud.pocketstack("trace", "traced", "--html", str(page))
    out = result.stdout
    lines = out.splitlines()
    assert lines[0].startswith(f"server traced ({server['id']})")
    order = [next(i for i, line in enumerate(lines) if line.startswith(prefix))
             for prefix in ("1 auth", "2 API", "2 scheduling", "build on the host",
                            "7 state")]
    assert order == sorted(order), out
    # The scheduler's account: every filter with the hosts it left, and the best host.
    assert "1 hosts → " in out and "→ ComputeFilter 1 →" in out and "→ RamFilter 1 →" in out
    assert f"best: {cloud.sections['DEFAULT']['host']} (" in out
    assert "ms |" in out
    document = page.read_text()
    assert document.startswith("<!DOCTYPE html>") and "<svg" in document
    assert document.count("<rect") == len([l for l in lines if "|" in l])


def test_trace_of_unknown_server_says_so(cloud):
    result = cloud.pocketstack("trace", "no-such-server", check=False)
    assert result.returncode == 1
    assert "no server named or with id 'no-such-server'" in result.stderr
