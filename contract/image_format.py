"""Checking an image's bytes as they stream in, before anything else reads them.

An image claims a disk format, but qemu decides from its bytes: a "raw" image that is
really a qcow2 with a backing file, or a qcow2 with an external data file
(CVE-2024-32498), would make a host read its own files into a guest. So every upload is
fed through all of oslo.utils' format inspectors (Glance's, Nova's and Cinder's own
checks): the content must be the declared format and nothing else, and must pass that
format's safety checks. A mismatch or a failed check is found as soon as the header has
arrived, so the rest of the upload is never read. qemu-img never sees an upload; the
virtual size comes from the header.
"""
import dataclasses

from oslo_utils.imageutils import format_inspector

# Formats that may legitimately show through the declared one: a raw disk may carry a
# partition table or be an ISO file system, and a bootable ISO carries an MBR or GPT.
COMPATIBLE = {"raw": {"gpt", "iso"}, "iso": {"gpt"}}


class ImageRejected(Exception):
    """The content is not the declared format, or is unsafe. The message is for the user."""


@dataclasses.dataclass(frozen=True)
class Inspection:
    disk_format: str
    virtual_size: int | None


def supported(disk_format):
    return format_inspector.get_inspector(disk_format) is not None


class ContentInspector:
    """Fed every chunk of one image in order; raises ImageRejected as soon as it can."""

    def __init__(self, disk_format):
        if not supported(disk_format):
            raise ValueError(f"no inspector for disk format {disk_format!r}")
        self.disk_format = disk_format
        self.size = 0
        self._candidates = {name: cls() for name, cls in format_inspector.ALL_FORMATS.items()
                            if name != "raw"}
        self._checked = set()

    @property
    def _allowed(self):
        return {self.disk_format} | COMPATIBLE.get(self.disk_format, set())

    def feed(self, chunk):
        self.size += len(chunk)
        for name, inspector in list(self._candidates.items()):
            try:
                inspector.eat_chunk(chunk)
            except format_inspector.ImageFormatError as exc:
                if name == self.disk_format:
                    raise ImageRejected(f"Image content is not valid {name}: {exc}") from exc
                # Not the declared format, and the bytes do not parse as this one either.
                del self._candidates[name]
                continue
            if not inspector.complete:
                continue
            if not inspector.format_match:
                if name == self.disk_format:
                    raise ImageRejected(self._mismatch(set()))
                del self._candidates[name]
            elif name not in self._allowed:
                raise ImageRejected(self._mismatch({name}))
            else:
                self._safety_check(name, inspector)

    def finish(self):
        """All bytes are in: decide the format and return what the header says."""
        matches = set()
        for name, inspector in self._candidates.items():
            inspector.finish()
            if inspector.complete and inspector.format_match:
                matches.add(name)
        if self.disk_format != "raw" and self.disk_format not in matches:
            raise ImageRejected(self._mismatch(matches))
        if matches - self._allowed:
            raise ImageRejected(self._mismatch(matches - self._allowed))
        for name in matches:
            self._safety_check(name, self._candidates[name])
        if self.disk_format == "raw":
            return Inspection("raw", self.size)
        return Inspection(self.disk_format,
                          self._candidates[self.disk_format].virtual_size or None)

    def _safety_check(self, name, inspector):
        if name in self._checked:
            return
        try:
            inspector.safety_check()
        except format_inspector.SafetyCheckFailed as exc:
            reasons = "; ".join(str(failure) for failure in exc.failures.values())
            raise ImageRejected(f"Image is unsafe to use: {reasons}.") from exc
        except format_inspector.ImageFormatError as exc:
            raise ImageRejected(f"Image content is not valid {name}: {exc}") from exc
        self._checked.add(name)

    def _mismatch(self, found):
        content = " and ".join(sorted(found)) if found else f"not {self.disk_format}"
        return f"Image claims disk format {self.disk_format!r} but its content is {content}."
