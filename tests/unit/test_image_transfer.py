"""Receiving image data into the filesystem store: limits, hashes, atomic commit."""
import errno
import hashlib
import io
import os
import uuid

import pytest

from contract import image_format
from controller.image import quota, store, transfer

UNLIMITED = quota.UploadLimits(max_image_size=1 << 40, project_quota=0, project_usage=0)


@pytest.fixture
def image_store(tmp_path):
    return store.FilesystemStore(str(tmp_path / "images"))


def chunks_of(data, size=1000):
    return (data[i:i + size] for i in range(0, len(data), size))


def test_received_image_is_hashed_and_invisible_until_committed(image_store):
    image_id = str(uuid.uuid4())
    data = os.urandom(300_000)
    received = transfer.receive(image_store, image_id, chunks_of(data), "raw", UNLIMITED)
    assert (received.size, received.virtual_size) == (len(data), len(data))
    assert received.checksum == hashlib.md5(data).hexdigest()
    assert received.os_hash_value == hashlib.sha512(data).hexdigest()
    assert not os.path.exists(image_store.path(image_id))
    received.staged.commit()
    with image_store.open(image_id) as f:
        assert f.read() == data
    assert os.listdir(image_store.directory) == [image_id]


@pytest.mark.parametrize("limits, message", [
    (quota.UploadLimits(max_image_size=5000, project_quota=0, project_usage=0),
     "maximum image size"),
    (quota.UploadLimits(max_image_size=10 ** 9, project_quota=6000, project_usage=1000),
     "quota"),
])
def test_limits_stop_reading_and_leave_nothing(image_store, limits, message):
    read = []

    def source():
        for chunk in chunks_of(b"\0" * 100_000):
            read.append(chunk)
            yield chunk

    with pytest.raises(quota.LimitExceeded, match=message):
        transfer.receive(image_store, str(uuid.uuid4()), source(), "raw", limits)
    assert sum(map(len, read)) <= 6000
    assert os.listdir(image_store.directory) == []


def test_rejected_content_leaves_nothing(image_store):
    qcow2_with_backing_file = (b"QFI\xfb" + (3).to_bytes(4, "big")
                               + (0x200).to_bytes(8, "big")).ljust(4096, b"\0")
    with pytest.raises(image_format.ImageRejected):
        transfer.receive(image_store, str(uuid.uuid4()), [qcow2_with_backing_file],
                         "raw", UNLIMITED)
    assert os.listdir(image_store.directory) == []


def test_broken_stream_leaves_nothing(image_store):
    def source():
        yield b"x" * 1000
        raise transfer.TransferInterrupted("client went away")

    with pytest.raises(transfer.TransferInterrupted):
        transfer.receive(image_store, str(uuid.uuid4()), source(), "raw", UNLIMITED)
    assert os.listdir(image_store.directory) == []


def test_disk_error_while_writing_surfaces_and_leaves_nothing(image_store, monkeypatch):
    def full_disk(self, chunk):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.StagedFile, "write", full_disk)
    with pytest.raises(OSError) as caught:
        transfer.receive(image_store, str(uuid.uuid4()), chunks_of(b"\0" * 50_000),
                         "raw", UNLIMITED)
    assert caught.value.errno == errno.ENOSPC
    assert os.listdir(image_store.directory) == []


def test_read_chunks_stops_at_the_announced_length():
    stream = io.BytesIO(b"a" * 2500 + b"next request")
    assert b"".join(transfer.read_chunks(stream, 2500, chunk_size=1000)) == b"a" * 2500


def test_read_chunks_reads_to_the_end_without_a_length():
    assert b"".join(transfer.read_chunks(io.BytesIO(b"b" * 2500), chunk_size=1000)) == \
        b"b" * 2500


def test_short_body_is_an_interruption():
    with pytest.raises(transfer.TransferInterrupted, match="after 100 of 200 bytes"):
        list(transfer.read_chunks(io.BytesIO(b"c" * 100), 200))


def test_broken_chunked_encoding_is_an_interruption():
    class Broken:
        def read(self, size):
            raise ValueError("Bad chunked transfer size: b''")

    with pytest.raises(transfer.TransferInterrupted, match="broke off"):
        list(transfer.read_chunks(Broken()))


def test_sweep_removes_temporary_files_and_orphans(image_store):
    kept, orphan = str(uuid.uuid4()), str(uuid.uuid4())
    for image_id in (kept, orphan):
        staged = image_store.stage(image_id)
        staged.write(b"data")
        staged.commit()
    image_store.stage(kept).write(b"half an upload")
    removed = image_store.sweep({kept})
    assert orphan in removed and len(removed) == 2
    assert os.listdir(image_store.directory) == [kept]


def test_store_paths_accept_only_image_ids(image_store):
    with pytest.raises(ValueError):
        image_store.path("../../etc/passwd")


def test_file_chunks_serve_a_byte_range(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 10)
    body = store.FileChunks(open(path, "rb"), 10, 1000, chunk_size=64)
    assert b"".join(body) == (bytes(range(256)) * 10)[10:1010]
    body.close()
    assert body.file.closed
