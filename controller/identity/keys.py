"""The Fernet key repository, laid out as Keystone's: files named 0..N in one directory.

``0`` is the staged key (already accepted, not yet used to sign), the highest number is
the primary key (signs new tokens), the rest are secondaries that still validate tokens
made before the last rotations. A rotation promotes the staged key to primary, stages a
new one and drops the oldest secondaries beyond ``max_active_keys``: every process sees
the next primary one rotation before it signs anything.
"""
import os
import threading

from cryptography.fernet import Fernet, MultiFernet

from conf import CONF


class KeyRepositoryError(Exception):
    pass


def repository_path(conf=CONF):
    return conf.identity.key_repository or os.path.join(conf.state_path, "fernet-keys")


class KeyRepository:
    """Reads the keys lazily and again whenever the directory changes (a rotation by
    another process renames and creates files, which updates the directory's mtime)."""

    def __init__(self, path, max_active_keys=3):
        self.path = path
        self.max_active_keys = max_active_keys
        self._lock = threading.Lock()
        self._loaded_mtime = None
        self._fernet = None

    def key_indexes(self):
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return sorted(int(name) for name in names if name.isdigit())

    def _read(self, index):
        with open(os.path.join(self.path, str(index)), "rb") as f:
            return f.read().strip()

    def _write(self, index, key):
        """Write a key atomically, readable by the owner only."""
        tmp = os.path.join(self.path, f".{index}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.path, str(index)))

    def initialize(self):
        """Create the repository with a staged and a primary key unless keys exist.
        Returns True when it created them."""
        os.makedirs(self.path, mode=0o700, exist_ok=True)
        if self.key_indexes():
            return False
        self._write(0, Fernet.generate_key())
        self.rotate()
        return True

    def rotate(self):
        """Promote the staged key, stage a new one, purge the oldest secondaries.
        Returns the new primary key's index."""
        indexes = self.key_indexes()
        if 0 not in indexes:
            raise KeyRepositoryError(f"no staged key (0) in {self.path}; run bootstrap")
        primary = max(indexes) + 1
        os.replace(os.path.join(self.path, "0"), os.path.join(self.path, str(primary)))
        self._write(0, Fernet.generate_key())
        active = [i for i in self.key_indexes() if i != 0]
        for index in active[:max(0, len(active) + 1 - self.max_active_keys)]:
            os.remove(os.path.join(self.path, str(index)))
        return primary

    def fernet(self):
        """A MultiFernet that signs with the primary key and accepts every key."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            raise KeyRepositoryError(f"no Fernet key repository at {self.path}") from None
        with self._lock:
            if mtime != self._loaded_mtime:
                indexes = self.key_indexes()
                if not indexes:
                    raise KeyRepositoryError(f"no Fernet keys in {self.path}")
                # MultiFernet signs with the first key: highest index (primary) first.
                self._fernet = MultiFernet([Fernet(self._read(i)) for i in reversed(indexes)])
                self._loaded_mtime = mtime
            return self._fernet


def from_conf(conf=CONF):
    return KeyRepository(repository_path(conf), conf.identity.max_active_keys)


def rotate_main(argv):
    """``pocketstack fernet-rotate --config-file F``: rotate the Fernet keys."""
    from conf import groups_of
    from contract import service_startup
    service_startup.parse_config(argv, groups_of("manage"))
    repository = from_conf(CONF)
    if repository.initialize():
        print(f"created Fernet keys in {repository.path}")
        return 0
    primary = repository.rotate()
    print(f"rotated Fernet keys in {repository.path}: primary is now key {primary}")
    return 0
