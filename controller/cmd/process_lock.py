"""The all-in-one's lock file: tells the process running the cloud from a dead one.

A bare pid lies after a crash: the process may linger as a zombie nobody reaps, or its
pid may belong to another process by now. The controller takes an exclusive ``flock``
on the lock file for its whole life, and the kernel drops that lock when the process
dies, even by ``kill -9``. The file records the holder's pid and start time (from
``/proc/<pid>/stat``), so a signal only ever goes to that very process; a clean exit
empties the record, so a record without a holder means the last run crashed.
"""
import dataclasses
import fcntl
import os
import time


@dataclasses.dataclass(frozen=True)
class Record:
    pid: int
    start_time: int   # clock ticks after boot, /proc/<pid>/stat field 22


def start_time(pid):
    """When process ``pid`` started, or None if there is no such live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its end.
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):       # a zombie has exited already
        return None
    return int(fields[19])


def _read(file):
    file.seek(0)
    try:
        pid, started = (int(word) for word in file.read().split())
    except ValueError:
        return None
    return Record(pid, started)


class ProcessLock:
    def __init__(self, path):
        self.path = path
        self._file = None

    def acquire(self):
        """Hold the lock for this process's life and record it; False when another
        live process holds it. The file descriptor is not inherited by children."""
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        file = open(self.path, "a+")
        # A ``holder()`` look takes a shared lock for an instant: retry a little.
        for attempt in range(10):
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if self.holder() not in (None, Record(0, 0)) or attempt == 9:
                    file.close()
                    return False
                time.sleep(0.1)
        file.truncate(0)
        file.write(f"{os.getpid()} {start_time(os.getpid())}\n")
        file.flush()
        self._file = file
        return True

    def release(self):
        """A clean exit: empty the record, then let go of the lock."""
        if self._file is not None:
            self._file.truncate(0)
            self._file.close()
            self._file = None

    def holder(self):
        """The live process holding the lock (its Record; pid 0 while it is still
        writing it), or None when nothing runs."""
        try:
            file = open(self.path)
        except FileNotFoundError:
            return None
        with file:
            try:
                fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                record = _read(file)
                if record is None or start_time(record.pid) != record.start_time:
                    return Record(0, 0)
                return record
            return None

    def crashed(self):
        """The record a crashed holder left behind, or None (clean exit or never run)."""
        if self.holder() is not None:
            return None
        try:
            with open(self.path) as file:
                return _read(file)
        except FileNotFoundError:
            return None

    def forget(self, timeout=10):
        """Drop the record once the holder has gone and its leftovers have been dealt
        with. A process that has just exited may still hold the lock for a moment (its
        main thread is a zombie while the others finish): wait up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.holder() is not None:
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
