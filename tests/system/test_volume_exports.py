"""qemu-storage-daemon NBD exports on loopback: start, refuse a taken port, stop, and
never trust a pid file that names some other process."""
import os
import socket
import subprocess

import pytest

from controller.volume.backend.exports import ExportDaemons, ExportError
from controller.volume.backend.files import VolumeFiles

pytestmark = pytest.mark.system


@pytest.fixture
def setup(tmp_path):
    files = VolumeFiles(str(tmp_path / "volumes"))
    files.create("vol", 1)
    daemons = ExportDaemons(str(tmp_path / "run"))
    try:
        yield files, daemons
    finally:
        daemons.stop_all()


def taken_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_export_serves_the_file_until_stopped(setup):
    files, daemons = setup
    port = free_port()
    daemons.start(files.volume_path("vol"), "vol", "127.0.0.1", port)
    assert daemons.running("vol")
    url = f"nbd://127.0.0.1:{port}/vol"
    subprocess.run(["qemu-io", "-f", "raw", "-c", "write -P 0x7a 512 512", url], check=True,
                   capture_output=True)
    daemons.stop("vol")
    assert not daemons.running("vol")
    with open(files.volume_path("vol"), "rb") as f:
        f.seek(512)
        assert f.read(512) == b"z" * 512
    assert subprocess.run(["qemu-io", "-f", "raw", "-c", "read 0 512", url],
                          capture_output=True).returncode != 0


def test_taken_port_is_reported_as_such(setup):
    files, daemons = setup
    with taken_port() as sock:
        with pytest.raises(ExportError) as exc:
            daemons.start(files.volume_path("vol"), "vol", "127.0.0.1",
                          sock.getsockname()[1])
    assert exc.value.port_in_use
    assert not daemons.running("vol")


def test_missing_file_is_not_a_port_problem(setup):
    _, daemons = setup
    with pytest.raises(ExportError, match="missing") as exc:
        daemons.start("/nonexistent/volume", "gone", "127.0.0.1", free_port())
    assert not exc.value.port_in_use


def test_a_pid_file_naming_another_process_is_not_trusted(setup):
    _, daemons = setup
    with open(daemons.pid_path("vol"), "w") as f:
        f.write(str(os.getpid()))
    assert not daemons.running("vol")
    daemons.stop("vol")   # must not signal this test process
    assert not os.path.exists(daemons.pid_path("vol"))
