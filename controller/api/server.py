"""The HTTP server: cheroot, a threaded WSGI server that streams request and response
bodies (image uploads and downloads never sit whole in memory or on a spool file)."""
import logging
import threading

from cheroot import wsgi

LOG = logging.getLogger(__name__)


class HttpServer:
    def __init__(self, app, host, port, threads):
        self._server = wsgi.Server((host, port), app, numthreads=threads,
                                   server_name="pocketstack", shutdown_timeout=2,
                                   request_queue_size=128)
        self._thread = None

    @property
    def port(self):
        return self._server.bind_addr[1]

    def start(self):
        """Bind now (so a busy port fails here) and serve in a background thread."""
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name="http", daemon=True)
        self._thread.start()
        LOG.info("HTTP APIs listening on %s:%s", *self._server.bind_addr[:2])

    def stop(self):
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
