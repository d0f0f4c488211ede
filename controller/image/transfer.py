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

# What web-download imports and request bodies that are not cheroot's are read in.
CHUNK_SIZE = 64 * 1024
# What the digests and the disk write work on: the body is read into a few reusable
# buffers this large, so each thread hand-over carries a megabyte.
BUFFER_SIZE = 1024 * 1024
BUFFERS = 6
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
    they overlap instead of taking turns. Each chunk comes with a ``done`` callback, called
    once the chunk has been consumed (or skipped), so its buffer can be reused. An error
    in ``consume`` comes back from the next ``put`` or ``finish``."""

    def __init__(self, consume, name):
        self._consume = consume
        self._queue = queue.SimpleQueue()
        self._error = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self):
        while (item := self._queue.get()) is not None:
            chunk, done = item
            try:
                if self._error is None:     # after a failure, only drain the queue
                    self._consume(chunk)
            except BaseException as exc:
                self._error = exc
            finally:
                done()

    def put(self, chunk, done):
        if self._error is not None:
            raise self._error
        self._queue.put((chunk, done))

    def stop(self):
        """Wait until every chunk put so far is consumed."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self):
        self.stop()
        if self._error is not None:
            raise self._error


class BufferPool:
    """A few reusable buffers of BUFFER_SIZE that pieces are gathered into, so that the
    digests and the disk write each see a few large chunks instead of many small ones
    (fewer hand-overs between threads) and no memory is allocated per chunk. ``take``
    blocks while every buffer is still in use by a worker: that is the back-pressure that
    keeps memory flat whatever the image's size."""

    def __init__(self, count=BUFFERS, size=BUFFER_SIZE):
        self.size = size
        self._free = queue.SimpleQueue()
        for _ in range(count):
            self._free.put(bytearray(size))

    def take(self):
        return self._free.get()

    def releaser(self, buffer, users):
        """A callback that gives ``buffer`` back once ``users`` callers have called it."""
        remaining = [users]
        lock = threading.Lock()

        def done():
            with lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                self._free.put(buffer)
        return done


class Pieces:
    """``readinto`` over an iterable of chunks (a web download, a request body that is
    not cheroot's)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._left = memoryview(b"")

    def readinto(self, view):
        while not self._left:
            piece = next(self._chunks, None)
            if piece is None:
                return 0
            self._left = memoryview(piece)
        taken = min(len(view), len(self._left))
        view[:taken] = self._left[:taken]
        self._left = self._left[taken:]
        return taken


def fill(body, view, received, breaks=()):
    """Read ``body`` into ``view`` until it is full or the body ends; the length read.
    ``received``: the bytes before it; ``breaks``: the errors that mean the body broke
    off (a request body's: bad framing or a short body, a timeout or a reset)."""
    filled = 0
    try:
        while filled < len(view):
            got = body.readinto(view[filled:])
            if not got:
                break
            filled += got
    except breaks as exc:
        raise TransferInterrupted(f"The upload broke off after {received + filled} bytes: "
                                  f"{exc}") from exc
    return filled


def receive(store, image_id, body, disk_format, limits):
    """Stage ``body`` as the data of ``image_id``: a request body with ``readinto``
    (controller.api.chunked) or an iterable of chunks.

    The body is read straight into pooled buffers of BUFFER_SIZE; each full buffer is
    counted against the limits and inspected before anything of it is written, then goes
    to three workers: MD5, SHA-512 and the write, each in a thread of its own. Raises
    quota.LimitExceeded, image_format.ImageRejected or TransferInterrupted (and OSError
    from the disk) with nothing left behind; on success the data is on disk and the
    caller owns the staged file, to commit (a rename) or discard.
    """
    if hasattr(body, "readinto"):
        reader, breaks = body, (OSError, ValueError)
    else:   # the iterable raises its own errors
        reader, breaks = Pieces(body), ()
    inspector = image_format.ContentInspector(disk_format)
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.new(HASH_ALGORITHM)
    size = 0
    staged = store.stage(image_id)
    pool = BufferPool()
    workers = [ChunkWorker(md5.update, "md5"), ChunkWorker(sha.update, HASH_ALGORITHM),
               ChunkWorker(staged.write, "write")]
    try:
        while True:
            buffer = pool.take()
            # One byte past what the limits allow is enough to refuse the image.
            wanted = min(pool.size, limits.room(size) + 1)
            filled = fill(reader, memoryview(buffer)[:wanted], size, breaks)
            if not filled:
                break
            size += filled
            limits.check(size)
            # The inspectors copy what they keep, so they may see the reused buffer.
            view = memoryview(buffer)[:filled]
            inspector.feed(view)
            done = pool.releaser(buffer, len(workers))
            for worker in workers:
                worker.put(view, done)
            if filled < wanted:
                break
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
