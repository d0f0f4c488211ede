"""A WebSocket client of the console proxy, as the tests use it: the WebSocket a
console URL leads to, reading a serial console, and a VNC (RFB 3.8) handshake through
the proxy up to the first framebuffer update."""
import struct
import time
import urllib.parse

from websockets.sync.client import connect


def websocket_url(url):
    """The WebSocket a console URL leads to (noVNC's page takes it as ``path``)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.startswith("ws"):
        return url
    path = urllib.parse.parse_qs(parts.query)["path"][0]
    return f"ws://{parts.netloc}/{path.lstrip('/')}"


def open_console(url, origin=None):
    return connect(websocket_url(url), subprotocols=["binary"], open_timeout=10,
                   origin=origin, max_size=None)


def read_until(ws, expect, timeout=10, poke=None, poke_every=5):
    """What ``ws`` sends until ``expect`` (bytes) shows; ``poke`` is sent first and
    every ``poke_every`` seconds while it does not."""
    seen = b""
    deadline = time.monotonic() + timeout
    next_poke = time.monotonic()
    while expect not in seen:
        now = time.monotonic()
        if now > deadline:
            raise AssertionError(f"{expect!r} not seen in {timeout} s; got {seen[-2000:]!r}")
        if poke is not None and now >= next_poke:
            ws.send(poke)
            next_poke = now + poke_every
        try:
            seen += ws.recv(timeout=1)
        except TimeoutError:
            pass
    return seen


def read_console(url, expect, send=None, origin=None, timeout=10):
    with open_console(url, origin) as ws:
        if send:
            ws.send(send)
        return read_until(ws, expect, timeout)


class _Stream:
    """Exact reads over a WebSocket's binary messages."""

    def __init__(self, ws):
        self.ws = ws
        self.buffer = b""

    def read(self, size, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.buffer) < size:
            if time.monotonic() > deadline:
                raise AssertionError(f"VNC: {size} bytes not received in {timeout} s")
            try:
                self.buffer += self.ws.recv(timeout=1)
            except TimeoutError:
                pass
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def vnc_first_frame(url, timeout=30):
    """Handshake RFB 3.8 with no authentication through the console at ``url`` and
    ask for the whole screen: returns (width, height, name, rectangles in the first
    framebuffer update)."""
    with open_console(url) as ws:
        stream = _Stream(ws)
        version = stream.read(12, timeout)
        assert version.startswith(b"RFB 003."), version
        ws.send(b"RFB 003.008\n")
        (count,) = struct.unpack("B", stream.read(1, timeout))
        types = stream.read(count, timeout)
        assert 1 in types, f"no 'None' security type in {list(types)}"
        ws.send(b"\x01")
        (result,) = struct.unpack(">I", stream.read(4, timeout))
        assert result == 0, "VNC security handshake failed"
        ws.send(b"\x01")                       # ClientInit: shared
        width, height = struct.unpack(">HH", stream.read(4, timeout))
        stream.read(16, timeout)               # pixel format
        (name_length,) = struct.unpack(">I", stream.read(4, timeout))
        name = stream.read(name_length, timeout).decode(errors="replace")
        # FramebufferUpdateRequest, not incremental, the whole screen.
        ws.send(struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))
        while True:
            (message,) = struct.unpack("B", stream.read(1, timeout))
            if message == 0:                   # FramebufferUpdate
                _, rectangles = struct.unpack(">BH", stream.read(3, timeout))
                return width, height, name, rectangles
            raise AssertionError(f"unexpected VNC message {message} before a frame")
