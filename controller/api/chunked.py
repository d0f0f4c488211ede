"""A request body read straight off the connection into the reader's own buffer.

cheroot reads sockets through ``_pyio`` (its pure-Python ``BufferedReader``): every
``read(n)`` fills a fresh ``bytearray``, copies it to ``bytes`` and joins the pieces, and
its ``ChunkedRFile.read(n)`` builds every answer by concatenation and re-slices its buffer
on each call (python-glanceclient's 1 MiB chunks read 64 KiB at a time were copied eight
times over). The readers here follow the same framing (a Content-Length, or RFC 9112
§7.1's chunks: size line, data, CRLF; a zero-size chunk and optional trailers end it)
and ``readinto`` the caller's buffer: what cheroot already buffered is copied once, the
rest goes from the socket into the buffer with no copy at all.
"""
from cheroot import makefile, server

MAX_LINE = 4096     # a size line with extensions, or a trailer line


def direct(stream):
    """A reader with ``readinto(view)`` over cheroot's request input (0 at the body's
    end; ValueError on bad framing or a short body, OSError from the socket), or None
    for any other stream (read it with ``read``)."""
    if isinstance(stream, server.ChunkedRFile):
        return ChunkedBody(stream)
    if isinstance(stream, server.KnownLengthRFile):
        return KnownLengthBody(stream)
    return None


def read_into(rfile, view):
    """Fill some of ``view`` from ``rfile``: what it has buffered, else one receive from
    its socket straight into ``view``. 0 at the end of the stream."""
    if not isinstance(rfile, makefile.StreamReader):
        data = rfile.read1(len(view))
    elif rfile.has_data():
        data = rfile.read1(len(view))
        rfile.bytes_read += len(data)       # cheroot counts only its read()
    else:
        received = rfile.raw.readinto(view)
        if received is None:
            raise TimeoutError("The connection gave no data.")
        rfile.bytes_read += received
        return received
    view[:len(data)] = data
    return len(data)


class KnownLengthBody:
    """A body of Content-Length bytes; cheroot's count is kept, so it knows at the end
    of the request that nothing is left to drain."""

    def __init__(self, known_length_rfile):
        self._input = known_length_rfile
        self._length = known_length_rfile.remaining

    def readinto(self, view):
        remaining = self._input.remaining
        if remaining == 0:
            return 0
        received = read_into(self._input.rfile, view[:remaining])
        if received == 0:
            raise ValueError(f"The upload ended after {self._length - remaining} of "
                             f"{self._length} bytes.")
        self._input.remaining -= received
        return received


class ChunkedBody:
    """A chunked body, its framing consumed as it goes."""

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

    def readinto(self, view):
        if self._left == 0 and (self._input.closed or not self._next_chunk()):
            return 0
        received = read_into(self._rfile, view[:self._left])
        if received == 0:
            raise ValueError("The chunked body ended in the middle of a chunk.")
        self._left -= received
        if self._left == 0 and self._rfile.read(2) != b"\r\n":
            raise ValueError("Bad chunked transfer coding: no CRLF after a chunk.")
        return received
