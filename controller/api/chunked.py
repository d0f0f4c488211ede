"""A chunked request body read straight off the connection, in pieces of any size.

cheroot's own ``ChunkedRFile.read(n)`` builds every answer by concatenation and re-slices
its buffer on each call, so it copies O(chunk²/n) bytes: python-glanceclient's 1 MiB
chunks read 64 KiB at a time were copied eight times over, a stream of 16 KiB chunks
read 1 MiB at a time thirty-two times. This reader follows the same framing (RFC 9112
§7.1: size line, data, CRLF; a zero-size chunk and optional trailers end it) and hands
out what the connection's buffered reader returns, one copy from the socket.
"""
from cheroot import server

MAX_LINE = 4096     # a size line with extensions, or a trailer line


def unchunked(stream):
    """``stream`` itself, or a ChunkedBody over it when it is cheroot's chunked input."""
    if isinstance(stream, server.ChunkedRFile):
        return ChunkedBody(stream)
    return stream


class ChunkedBody:
    """``read(n)`` gives at most ``n`` bytes, b"" at the end; ValueError on bad framing."""

    def __init__(self, chunked_rfile):
        self._input = chunked_rfile
        self._rfile = chunked_rfile.rfile
        self._left = 0          # bytes of the current chunk not yet read

    def _line(self):
        line = self._rfile.readline(MAX_LINE)
        if not line.endswith(b"\r\n"):
            raise ValueError(f"Bad chunked transfer coding: line {line[:40]!r}")
        return line

    def _next_chunk(self):
        """Start the next chunk; False at the end of the body (trailers consumed)."""
        line = self._line()
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ValueError(f"Bad chunked transfer size: {line[:40]!r}") from None
        if size < 0:
            raise ValueError(f"Bad chunked transfer size: {line[:40]!r}")
        if size == 0:
            while self._line() != b"\r\n":
                pass
            self._input.closed = True
            return False
        self._left = size
        return True

    def read(self, size):
        if self._left == 0 and (self._input.closed or not self._next_chunk()):
            return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            raise ValueError("The chunked body ended in the middle of a chunk.")
        self._left -= len(data)
        if self._left == 0 and self._rfile.read(2) != b"\r\n":
            raise ValueError("Bad chunked transfer coding: no CRLF after a chunk.")
        return data
