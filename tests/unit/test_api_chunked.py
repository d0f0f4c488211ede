"""Request bodies read off the connection into the reader's buffer, without cheroot's
copies: chunked framing, Content-Length bodies, and the socket read straight into it."""
import io
import socket
import threading

import pytest
from cheroot import makefile, server

from controller.api import chunked
from controller.image import transfer


def chunked_input(raw):
    return server.ChunkedRFile(io.BufferedReader(io.BytesIO(raw)), maxlen=0)


def encode(chunks, trailer=b""):
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n" + trailer + b"\r\n"


def read_all(body, read_size=1 << 20):
    """The body's bytes and the largest single readinto."""
    buffer, data, largest = bytearray(read_size), bytearray(), 0
    while got := body.readinto(memoryview(buffer)):
        data += buffer[:got]
        largest = max(largest, got)
    return bytes(data), largest


@pytest.mark.parametrize("client_chunk, read_size", [(16, 1000), (1000, 64), (333, 333)])
def test_pieces_rebuild_the_body_whatever_the_chunk_and_read_sizes(client_chunk, read_size):
    data = bytes(range(256)) * 40
    chunks = [data[i:i + client_chunk] for i in range(0, len(data), client_chunk)]
    body = chunked.direct(chunked_input(encode(chunks)))
    assert read_all(body, read_size) == (data, min(client_chunk, read_size))


def test_extensions_and_trailers_are_consumed_and_the_next_request_is_left_alone():
    raw = b"5;name=value\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\nGET / HTTP/1.1\r\n"
    stream = chunked_input(raw)
    assert read_all(chunked.direct(stream))[0] == b"hello"
    assert stream.closed
    assert stream.rfile.read() == b"GET / HTTP/1.1\r\n"


@pytest.mark.parametrize("raw, message", [
    (b"zz\r\nhello\r\n0\r\n\r\n", "transfer size"),
    (b"5\r\nhello!!0\r\n\r\n", "no CRLF after a chunk"),
    (b"a\r\nhello", "middle of a chunk"),
    (b"5\r\nhello\r\n", "line b''"),
])
def test_bad_framing_is_an_interruption(raw, message):
    with pytest.raises(transfer.TransferInterrupted, match=message):
        transfer.fill(chunked.direct(chunked_input(raw)), memoryview(bytearray(100)), 0,
                      (OSError, ValueError))


def test_a_content_length_body_stops_at_its_length_and_tells_cheroot_it_is_read():
    stream = server.KnownLengthRFile(io.BufferedReader(io.BytesIO(b"x" * 10 + b"NEXT")), 10)
    assert read_all(chunked.direct(stream), 4) == (b"x" * 10, 4)
    assert stream.remaining == 0
    assert stream.rfile.read() == b"NEXT"


def test_a_short_content_length_body_is_an_interruption():
    stream = server.KnownLengthRFile(io.BufferedReader(io.BytesIO(b"x" * 6)), 10)
    with pytest.raises(transfer.TransferInterrupted, match="ended after 6 of 10 bytes"):
        transfer.fill(chunked.direct(stream), memoryview(bytearray(100)), 0,
                      (OSError, ValueError))


def test_the_socket_is_read_straight_into_the_buffer_after_what_cheroot_buffered():
    """A chunked body over a real socket and cheroot's own reader: the size line pulls
    the start of the data into cheroot's buffer, the rest comes off the socket."""
    data = bytes(range(256)) * 4096                          # 1 MiB
    raw = encode([data[:700_000], data[700_000:]])
    ours, theirs = socket.socketpair()
    sender = threading.Thread(target=lambda: (theirs.sendall(raw), theirs.close()))
    sender.start()
    try:
        rfile = makefile.MakeFile(ours, "rb")
        body = chunked.direct(server.ChunkedRFile(rfile, maxlen=0))
        assert read_all(body)[0] == data
        assert rfile.bytes_read == len(raw)
    finally:
        sender.join()
        ours.close()


def test_other_streams_are_read_with_read():
    assert chunked.direct(io.BytesIO(b"plain")) is None
