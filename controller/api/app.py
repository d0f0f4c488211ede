"""The tree of HTTP APIs: every service's Falcon app under its path prefix on one port.

Like DevStack's single web server, one listener serves ``/identity``, ``/compute``,
``/image``, ``/networking`` and ``/volume``; the service catalog points at those URLs.
"""
import dataclasses
import functools
import importlib
import json

import falcon

from conf.api import public_url
from controller.api import auth, body, errors

# (path prefix, service package, catalog service type). A service package provides
# ``api.create_app(runtime) -> falcon.App``.
SERVICES = (
    ("/identity", "identity", "identity"),
    ("/image", "image", "image"),
    ("/compute", "compute", "compute"),
    ("/networking", "network", "network"),
    ("/volume", "volume", "block-storage"),
)


@dataclasses.dataclass
class Runtime:
    """What a service's app needs from the process that hosts it."""

    conf: object
    db: object                # controller.db.engine.Database
    validator: object = None  # auth.TokenValidator, supplied by identity
    wsgi_app: object = None   # this process's whole API tree, once built (create_wsgi_app)
    # Services' in-process interfaces for their siblings in this process, by name
    # (e.g. network's ``api.local.LocalNetwork``), registered by their create_app.
    siblings: dict = dataclasses.field(default_factory=dict)

    @property
    def public_url(self):
        return public_url(self.conf)

    def endpoint(self, prefix):
        return self.public_url + prefix


def make_service_app(runtime, formatter, middleware=(), require_scope=True):
    """A Falcon app with the shared token and body-limit middleware and the service's
    error format. Only identity accepts unscoped tokens (``require_scope=False``)."""
    api_conf = runtime.conf.api
    app = falcon.App(middleware=[
        auth.AuthMiddleware(runtime.validator, api_conf.token_cache_seconds,
                            require_scope=require_scope),
        body.BodyLimitMiddleware(api_conf.max_request_body_size, api_conf.max_json_depth),
        *middleware])
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_qs_csv = False
    # ASCII-escaped JSON, as oslo.serialization writes it: any stored string renders,
    # even one with a lone surrogate that no UTF-8 encoder takes.
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = falcon.media.JSONHandler(
        dumps=functools.partial(json.dumps, ensure_ascii=True))
    errors.install_error_handlers(app, formatter)
    return app


class PrefixDispatcher:
    """WSGI app that hands each request to the service owning its path prefix."""

    def __init__(self, apps):
        self.apps = sorted(apps.items(), key=lambda item: -len(item[0]))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in self.apps:
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix):] or "/"
                return app(environ, start_response)
        body = json.dumps({"error": {"code": 404, "title": "Not Found",
                                     "message": f"No service at {path}."}}).encode()
        start_response("404 Not Found", [("Content-Type", "application/json"),
                                         ("Content-Length", str(len(body)))])
        return [body]


# Web pages on the same port, not in the catalog: path prefix → package with create_app.
PAGES = (("/dashboard", "controller.dashboard"),)


def create_wsgi_app(runtime):
    apps = {}
    for prefix, package, _service_type in SERVICES:
        module = importlib.import_module(f"controller.{package}.api")
        apps[prefix] = module.create_app(runtime)
    for prefix, package in PAGES:
        apps[prefix] = importlib.import_module(package).create_app(runtime)
    runtime.wsgi_app = PrefixDispatcher(apps)
    return runtime.wsgi_app
