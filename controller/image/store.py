"""The filesystem store: one file per image, written atomically.

Data arrives in a temporary file in the store's own directory and is renamed into place
only after it has been fsynced, so a file under an image's name is always complete; a
crash leaves at most a temporary file, which ``sweep`` removes at the next start.
"""
import os
import tempfile
import uuid

TEMP_SUFFIX = ".part"


class FilesystemStore:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)

    def path(self, image_id):
        # Image ids are UUIDs; parsing them keeps any other name out of the directory.
        return os.path.join(self.directory, str(uuid.UUID(image_id)))

    def stage(self, image_id):
        """A new temporary file that becomes the image's data on ``commit``."""
        fd, temp_path = tempfile.mkstemp(dir=self.directory, prefix=f".{image_id}.",
                                         suffix=TEMP_SUFFIX)
        return StagedFile(self, image_id, fd, temp_path)

    def open(self, image_id):
        return open(self.path(image_id), "rb")

    def delete(self, image_id):
        try:
            os.unlink(self.path(image_id))
        except FileNotFoundError:
            pass

    def sweep(self, keep):
        """Remove temporary files and the data of every image not in ``keep``."""
        removed = []
        for name in os.listdir(self.directory):
            if name.endswith(TEMP_SUFFIX) or name not in keep:
                os.unlink(os.path.join(self.directory, name))
                removed.append(name)
        return removed

    def _fsync_directory(self):
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class StagedFile:
    """Image data being written; removed unless committed (also as a context manager)."""

    def __init__(self, store, image_id, fd, temp_path):
        self.store = store
        self.image_id = image_id
        self.temp_path = temp_path
        self._file = os.fdopen(fd, "wb", buffering=0)
        self.committed = False

    def write(self, chunk):
        view = memoryview(chunk)
        while view:
            view = view[self._file.write(view):]

    def sync(self):
        """Make the written data durable (the slow part, kept out of transactions)."""
        if not self._file.closed:
            os.fsync(self._file.fileno())
            self._file.close()

    def commit(self):
        """Make the data durable and visible under the image's name."""
        self.sync()
        os.rename(self.temp_path, self.store.path(self.image_id))
        self.store._fsync_directory()
        self.committed = True

    def discard(self):
        if self.committed:
            return
        self._file.close()
        try:
            os.unlink(self.temp_path)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.discard()


class FileChunks:
    """``length`` bytes of an open file from ``offset``, as a response body that streams
    in chunks; the WSGI server calls ``close`` when the response ends or breaks off."""

    def __init__(self, file, offset, length, chunk_size):
        self.file = file
        self.offset = offset
        self.length = length
        self.chunk_size = chunk_size

    def __iter__(self):
        self.file.seek(self.offset)
        remaining = self.length
        while remaining > 0:
            chunk = self.file.read(min(self.chunk_size, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk

    def close(self):
        self.file.close()
