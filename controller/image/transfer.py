"""Receiving image data: a stream of chunks becomes a checked, hashed, staged file.

Uploads and web-download imports both come through here, so both obey the same rules:
memory stays at a few chunks however large the image, every chunk is counted against the
size limits before it is written, the bytes are inspected as they arrive (see
``contract.image_format``), and nothing is visible under the image's name until ``commit``.
"""
import ctypes
import dataclasses
import hashlib
import platform
import queue
import threading

from contract import image_format

# Large enough that per-chunk work is small beside hashing, small enough to stay below
# MMAP_THRESHOLD.
CHUNK_SIZE = 192 * 1024
HASH_ALGORITHM = "sha512"


# glibc's mallopt parameter: the size from which an allocation gets a memory map of its
# own, handed back to the system when freed.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 1024


def limit_malloc_retention():
    """Stop glibc from keeping the memory of freed chunks.

    By default glibc raises its mmap threshold each time a large block is freed; from
    then on such blocks come from per-thread arenas, which keep what is freed. A
    controller that had streamed a few images held hundreds of MiB it no longer used.
    With the threshold fixed above CHUNK_SIZE, chunks reuse arena memory of one size and
    anything larger is mapped and unmapped, so memory stays flat (bench/bench_image.py).
    """
    if platform.libc_ver()[0] == "glibc":
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


class TransferInterrupted(Exception):
    """The data stopped before its end: client gone, short body, broken stream."""


@dataclasses.dataclass
class ReceivedImage:
    staged: object          # store.StagedFile, to commit or discard
    size: int
    checksum: str           # md5, as Glance's "checksum"
    os_hash_value: str      # HASH_ALGORITHM
    virtual_size: int | None


def read_chunks(stream, expected_length=None, chunk_size=CHUNK_SIZE):
    """Chunks of a WSGI input (or any ``read(n)`` stream); raises TransferInterrupted when
    a body announced as ``expected_length`` bytes ends early or the stream breaks."""
    received = 0
    while True:
        want = chunk_size
        if expected_length is not None:
            want = min(want, expected_length - received)
            if want == 0:
                return
        try:
            chunk = stream.read(want)
        except (OSError, ValueError) as exc:
            # cheroot raises ValueError for broken chunked encoding, OSError on timeouts.
            raise TransferInterrupted(f"The upload broke off after {received} bytes: "
                                      f"{exc}") from exc
        if not chunk:
            if expected_length is not None:
                raise TransferInterrupted(f"The upload ended after {received} of "
                                          f"{expected_length} bytes.")
            return
        received += len(chunk)
        yield chunk


class ChunkWorker:
    """Applies ``consume`` to every chunk in a thread of its own. The costly steps of
    receiving (the two digests, the disk write) let go of the GIL, so on several cores
    they overlap instead of taking turns; the queue is short, so memory stays at a few
    chunks. An error in ``consume`` comes back from the next ``put`` or ``finish``."""

    def __init__(self, consume, name):
        self._consume = consume
        self._queue = queue.Queue(maxsize=4)
        self._error = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self):
        while (chunk := self._queue.get()) is not None:
            if self._error is None:     # after a failure, only drain the queue
                try:
                    self._consume(chunk)
                except BaseException as exc:
                    self._error = exc

    def put(self, chunk):
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def stop(self):
        """Wait until every chunk put so far is consumed."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self):
        self.stop()
        if self._error is not None:
            raise self._error


def receive(store, image_id, chunks, disk_format, limits):
    """Stage ``chunks`` as the data of ``image_id``.

    Raises quota.LimitExceeded, image_format.ImageRejected or TransferInterrupted (and OSError
    from the disk) with nothing left behind; on success the data is on disk and the
    caller owns the staged file, to commit (a rename) or discard.
    """
    inspector = image_format.ContentInspector(disk_format)
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.new(HASH_ALGORITHM)
    size = 0
    staged = store.stage(image_id)
    workers = [ChunkWorker(sha.update, HASH_ALGORITHM), ChunkWorker(staged.write, "write")]
    try:
        for chunk in chunks:
            size += len(chunk)
            limits.check(size)
            inspector.feed(chunk)
            for worker in workers:
                worker.put(chunk)
            md5.update(chunk)
        for worker in workers:
            worker.finish()
        inspection = inspector.finish()
        staged.sync()
    except BaseException:
        for worker in workers:
            worker.stop()
        staged.discard()
        raise
    return ReceivedImage(staged, size, md5.hexdigest(), sha.hexdigest(),
                         inspection.virtual_size)
