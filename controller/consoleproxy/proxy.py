"""The console proxy, on websockify: each WebSocket must bring a valid one-time token
(``?token=`` or a ``token`` cookie), which names the guest console to relay to; the
token is used up as the connection opens. It also serves noVNC's pages (Debian's
``novnc`` package, ``[console_proxy] web``) for the URLs of ``novnc`` consoles.

A page of another site may not open a console: a WebSocket whose ``Origin`` is neither
the proxy's own host nor one of ``[console_proxy] allowed_origins`` is refused, as
Nova's proxy does. A refused WebSocket (bad, used or expired token, foreign origin)
opens and is closed at once with nothing sent, as Nova's proxy closes it.
"""
import http.cookies
import http.server
import logging
import socket
import threading
import urllib.parse

from sqlalchemy.exc import SQLAlchemyError
from websockify.websocketproxy import ProxyRequestHandler

from controller.compute import console_auth

LOG = logging.getLogger(__name__)
CONNECT_TIMEOUT = 10


class Refused(Exception):
    """Why a WebSocket may not open a console."""


class Unavailable(Exception):
    """Why a token could not be checked now (not the client's fault: it may retry)."""


def _hostname(netloc):
    return urllib.parse.urlsplit("//" + netloc).hostname or ""


def token_of(path, cookie_header):
    """The token of a request: its ``token`` query parameter, else its cookie."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if query.get("token"):
        return query["token"][0]
    cookies = http.cookies.SimpleCookie()
    try:
        cookies.load(cookie_header or "")
    except http.cookies.CookieError:
        return None
    return cookies["token"].value if "token" in cookies else None


def origin_allowed(origin, host_header, allowed):
    """Whether a WebSocket opened by a page of ``origin`` may reach this proxy (reached
    as ``host_header``): no Origin (not a browser), the same host, or an allowed one."""
    if not origin:
        return True
    parts = urllib.parse.urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    hostname = parts.hostname.lower()
    return (hostname == _hostname(host_header or "").lower()
            or hostname in {_hostname(entry).lower() for entry in allowed}
            or parts.netloc.lower() in {entry.lower() for entry in allowed})


class ConsoleRequestHandler(ProxyRequestHandler):
    """One client: noVNC's files over HTTP, or a console over a WebSocket."""

    def translate_path(self, path):
        self.directory = self.server.web
        return super().translate_path(path)

    def log_message(self, format, *args):
        LOG.debug("%s %s", self.client_address[0], format % args)

    def _check(self):
        """The ``console_auth.Connection`` this WebSocket request may open."""
        if not origin_allowed(self.headers.get("Origin"), self.headers.get("Host"),
                              self.server.allowed_origins):
            raise Refused("Origin not allowed")
        token = token_of(self.path, self.headers.get("Cookie"))
        try:
            with self.server.db.session() as session:
                connection = console_auth.consume(session, token)
        except (SQLAlchemyError, TimeoutError) as exc:
            # e.g. SQLite's writer busy past its timeout: the token was not used up (its
            # transaction rolled back), so the client may try again.
            LOG.error("Console token of %s not checked: %s", self.client_address[0], exc)
            raise Unavailable("Console authorization unavailable, try again") from exc
        if connection is None:
            raise Refused("Invalid, used or expired token")
        return connection

    def handle_upgrade(self):
        """Check the token, then upgrade. A refused token or origin upgrades and closes
        (Nova's answer); a check that could not run is an HTTP 503 or 500 with its reason,
        logged, never a connection dropped without a word."""
        try:
            self.console = self._check()
        except Refused as exc:
            # As Nova's proxy: the WebSocket opens, then closes with nothing sent.
            LOG.info("Console refused to %s: %s", self.client_address[0], exc)
            self.console = None
        except Unavailable as exc:
            self.send_error(503, str(exc))
            return
        except Exception:
            LOG.exception("Console token check of %s failed", self.client_address[0])
            self.send_error(500, "Console token check failed")
            return
        super().handle_upgrade()

    def new_websocket_client(self):
        console = self.console
        if console is None:
            return
        LOG.info("Console %s of %s for %s", console.console_type, console.instance_uuid,
                 self.client_address[0])
        try:
            target = socket.create_connection((console.host, console.port),
                                              timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            LOG.warning("Console of %s at %s:%s unreachable: %s", console.instance_uuid,
                        console.host, console.port, exc)
            raise self.CClose(1011, "Failed to connect to the console") from None
        target.settimeout(None)
        target.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
        try:
            self.do_proxy(target)
        finally:
            try:
                target.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            target.close()


class ConsoleProxyServer(http.server.ThreadingHTTPServer):
    """The listening side; the attributes are what websockify's handler reads."""

    daemon_threads = True
    # websockify's handler settings: files only (no directory listing), no heartbeat.
    only_upgrade = False
    file_only = True
    verbose = False
    heartbeat = None
    target_host = target_port = None
    token_plugin = auth_plugin = None

    def __init__(self, address, db, web, allowed_origins):
        self.db = db
        self.web = web
        self.allowed_origins = list(allowed_origins)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, ConsoleRequestHandler)


class ConsoleProxy:
    """The proxy as a service of the controller process (``--roles console_proxy``)."""

    def __init__(self, conf, db):
        options = conf.console_proxy
        self.server = ConsoleProxyServer((options.host, options.port), db, options.web,
                                         options.allowed_origins)
        self.thread = None

    @property
    def port(self):
        return self.server.server_address[1]

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       name="console-proxy", daemon=True)
        self.thread.start()
        LOG.info("Console proxy listening on %s:%s", *self.server.server_address[:2])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=10)
