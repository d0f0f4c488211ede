"""Chunked request bodies read off the connection without cheroot's copies."""
import io

import pytest
from cheroot import server

from controller.api.chunked import unchunked
from controller.image import transfer


def chunked_input(raw):
    return server.ChunkedRFile(io.BufferedReader(io.BytesIO(raw)), maxlen=0)


def encode(chunks, trailer=b""):
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n" + trailer + b"\r\n"


@pytest.mark.parametrize("client_chunk, read_size", [(16, 1000), (1000, 64), (333, 333)])
def test_pieces_rebuild_the_body_whatever_the_chunk_and_read_sizes(client_chunk, read_size):
    data = bytes(range(256)) * 40
    chunks = [data[i:i + client_chunk] for i in range(0, len(data), client_chunk)]
    body = unchunked(chunked_input(encode(chunks)))
    pieces = list(transfer.read_chunks(body, chunk_size=read_size))
    assert b"".join(pieces) == data
    assert max(map(len, pieces)) <= min(client_chunk, read_size)


def test_extensions_and_trailers_are_consumed_and_the_next_request_is_left_alone():
    raw = b"5;name=value\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\nGET / HTTP/1.1\r\n"
    stream = chunked_input(raw)
    assert b"".join(transfer.read_chunks(unchunked(stream))) == b"hello"
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
        list(transfer.read_chunks(unchunked(chunked_input(raw))))


def test_other_streams_are_read_as_they_are():
    stream = io.BytesIO(b"plain")
    assert unchunked(stream) is stream
