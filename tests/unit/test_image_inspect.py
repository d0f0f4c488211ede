"""The content inspector: declared format must match the bytes, unsafe qcow2 refused."""
import struct

import pytest

from contract import image_format

GiB = 1024 ** 3
INCOMPATIBLE_DIRTY = 1 << 0
INCOMPATIBLE_DATA_FILE = 1 << 2


def qcow2(size=GiB, version=3, backing_file_offset=0, incompatible=0, length=64 * 1024):
    """A qcow2 header as qemu-img writes it (v3: 104 bytes), padded to ``length``."""
    header = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", version, backing_file_offset,
                         0, 16, size, 0, 1, 0x30000, 0x10000, 1, 0, 0)
    if version == 3:
        header += struct.pack(">QQQII", incompatible, 0, 0, 4, 104)
    return header.ljust(length, b"\0")


def iso(blocks=32):
    descriptor = bytearray(2048)
    descriptor[0:7] = b"\x01CD001\x01"
    descriptor[80:88] = struct.pack("<I", blocks) + struct.pack(">I", blocks)
    descriptor[128:132] = struct.pack("<H", 2048) + struct.pack(">H", 2048)
    return (bytes(32 * 1024) + bytes(descriptor)).ljust(blocks * 2048, b"\0")


def inspect_all(disk_format, data, chunk_size=4096):
    inspector = image_format.ContentInspector(disk_format)
    for start in range(0, len(data), chunk_size):
        inspector.feed(data[start:start + chunk_size])
    return inspector.finish()


def test_qcow2_virtual_size_comes_from_the_header():
    result = inspect_all("qcow2", qcow2(size=5 * GiB))
    assert result == image_format.Inspection("qcow2", 5 * GiB)


def test_qcow2_version_2_is_accepted():
    assert inspect_all("qcow2", qcow2(version=2)).virtual_size == GiB


def test_raw_virtual_size_is_its_length():
    assert inspect_all("raw", b"\x01" * 100_000) == image_format.Inspection("raw", 100_000)


def test_empty_raw_image_is_accepted():
    assert inspect_all("raw", b"").virtual_size == 0


def test_iso_is_accepted_as_iso_and_as_raw():
    data = iso()
    assert inspect_all("iso", data).disk_format == "iso"
    assert inspect_all("raw", data).virtual_size == len(data)


@pytest.mark.parametrize("header", [
    qcow2(backing_file_offset=0x200),
    qcow2(incompatible=INCOMPATIBLE_DATA_FILE),
], ids=["backing-file", "external-data-file"])
def test_qcow2_pointing_at_other_files_is_rejected(header):
    with pytest.raises(image_format.ImageRejected, match="unsafe"):
        inspect_all("qcow2", header)


def test_qcow2_with_unknown_incompatible_feature_is_rejected():
    with pytest.raises(image_format.ImageRejected, match="unsafe"):
        inspect_all("qcow2", qcow2(incompatible=1 << 40))


def test_known_harmless_feature_bits_are_accepted():
    assert inspect_all("qcow2", qcow2(incompatible=INCOMPATIBLE_DIRTY)).virtual_size == GiB


def test_rejection_comes_with_the_header_before_the_rest_is_read():
    inspector = image_format.ContentInspector("qcow2")
    with pytest.raises(image_format.ImageRejected):
        inspector.feed(qcow2(backing_file_offset=0x200, length=512))


@pytest.mark.parametrize("declared, data, found", [
    ("raw", qcow2(), "qcow2"),
    ("iso", qcow2(), "qcow2"),
    ("qcow2", b"\0" * 65536, "not qcow2"),
    ("qcow2", iso(), "not qcow2"),
    ("iso", b"\0" * 65536, "not iso"),
])
def test_declared_format_must_match_content(declared, data, found):
    with pytest.raises(image_format.ImageRejected, match=f"claims disk format '{declared}' but "
                                                    f"its content is {found}"):
        inspect_all(declared, data)


def test_truncated_qcow2_header_is_not_qcow2():
    with pytest.raises(image_format.ImageRejected, match="not qcow2"):
        inspect_all("qcow2", qcow2(length=64))


def test_chunk_boundaries_do_not_matter():
    data = qcow2(backing_file_offset=0x200)
    for chunk_size in (1, 7, 100, 1 << 20):
        with pytest.raises(image_format.ImageRejected):
            inspect_all("qcow2", data, chunk_size)


def test_unsupported_format_has_no_inspector():
    assert not image_format.supported("ploop")
    with pytest.raises(ValueError):
        image_format.ContentInspector("ploop")
