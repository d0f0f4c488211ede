"""Volume files on the storage host, and the checks on images written into them.

Uses qemu-img on small sparse files: fast, no daemons."""
import os
import subprocess

import pytest

from controller.volume.backend import files, formats

GiB = files.GiB


def qemu_img(*args):
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


@pytest.fixture
def store(tmp_path):
    return files.VolumeFiles(str(tmp_path / "volumes"))


@pytest.fixture
def qcow2_image(tmp_path):
    """A 1 MiB qcow2 whose first sector says 'pocketstack'."""
    raw = tmp_path / "seed.raw"
    raw.write_bytes(b"pocketstack".ljust(512, b"\0") + b"\0" * (1024 * 1024 - 512))
    path = str(tmp_path / "image.qcow2")
    qemu_img("convert", "-f", "raw", "-O", "qcow2", str(raw), path)
    return path


def test_new_volume_is_sparse_and_sized(store):
    store.create("v1", 2)
    path = store.volume_path("v1")
    assert os.path.getsize(path) == 2 * GiB
    assert os.stat(path).st_blocks == 0


def test_extend_grows_and_keeps_data(store):
    store.create("v1", 1)
    with open(store.volume_path("v1"), "r+b") as f:
        f.write(b"data")
    store.extend("v1", 3)
    assert os.path.getsize(store.volume_path("v1")) == 3 * GiB
    with open(store.volume_path("v1"), "rb") as f:
        assert f.read(4) == b"data"


def test_extend_never_shrinks(store):
    store.create("v1", 2)
    with pytest.raises(files.BackendError, match="already larger"):
        store.extend("v1", 1)
    assert os.path.getsize(store.volume_path("v1")) == 2 * GiB


def test_snapshot_and_volume_from_it(store):
    store.create("v1", 1)
    with open(store.volume_path("v1"), "r+b") as f:
        f.seek(GiB - 4)
        f.write(b"tail")
    store.snapshot("v1", "s1")
    with open(store.volume_path("v1"), "r+b") as f:
        f.seek(GiB - 4)
        f.write(b"new!")
    store.create_from_snapshot("s1", "v2", 2)
    assert os.path.getsize(store.volume_path("v2")) == 2 * GiB
    with open(store.volume_path("v2"), "rb") as f:
        f.seek(GiB - 4)
        assert f.read(4) == b"tail"


def test_clone(store):
    store.create("v1", 1)
    with open(store.volume_path("v1"), "r+b") as f:
        f.write(b"orig")
    store.create_from_volume("v1", "v2", 1)
    with open(store.volume_path("v2"), "rb") as f:
        assert f.read(4) == b"orig"


def test_existing_files_are_never_overwritten(store):
    store.create("v1", 1)
    with pytest.raises(files.BackendError, match="already exists"):
        store.create("v1", 1)


def test_failed_copy_leaves_no_file(store):
    with pytest.raises(files.BackendError, match="qemu-img convert failed"):
        store.create_from_snapshot("missing", "v2", 1)
    assert os.listdir(store.root) == []


def test_volume_from_qcow2_image(store, qcow2_image):
    store.create_from_image(qcow2_image, "qcow2", "v1", 1)
    path = store.volume_path("v1")
    assert os.path.getsize(path) == GiB
    with open(path, "rb") as f:
        assert f.read(11) == b"pocketstack"


def test_image_larger_than_volume_is_refused(store, tmp_path):
    big = str(tmp_path / "big.qcow2")
    qemu_img("create", "-f", "qcow2", big, "3G")
    with pytest.raises(files.BackendError, match="3 GiB when written to a disk"):
        store.create_from_image(big, "qcow2", "v1", 2)
    assert not os.path.exists(store.volume_path("v1"))


def test_image_must_be_the_format_it_claims(tmp_path, qcow2_image):
    with pytest.raises(formats.UnsafeImage, match="claims disk format 'raw' but its "
                                                  "content is 'qcow2'"):
        formats.check_image(qcow2_image, "raw")
    raw = tmp_path / "plain.raw"
    raw.write_bytes(b"\0" * 65536)
    with pytest.raises(formats.UnsafeImage, match="content is 'raw'"):
        formats.check_image(str(raw), "qcow2")
    assert formats.check_image(str(raw), "raw") == formats.CheckedImage("raw", 65536)


def test_qcow2_with_a_backing_file_is_refused(tmp_path, qcow2_image):
    # A backing file would make the storage host copy its own file into the volume.
    overlay = str(tmp_path / "overlay.qcow2")
    qemu_img("create", "-f", "qcow2", "-F", "qcow2", "-b", qcow2_image, overlay)
    with pytest.raises(formats.UnsafeImage, match="safety checks"):
        formats.check_image(overlay, "qcow2")


def test_unsupported_disk_format(tmp_path):
    path = tmp_path / "x.iso"
    path.write_bytes(b"\0" * 4096)
    with pytest.raises(formats.UnsafeImage, match="'iso' cannot be written"):
        formats.check_image(str(path), "iso")


def test_qcow2_reports_its_virtual_size(qcow2_image):
    assert formats.check_image(qcow2_image, "qcow2") == formats.CheckedImage(
        "qcow2", 1024 * 1024)
