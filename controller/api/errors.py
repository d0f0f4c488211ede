"""API errors, raised by handlers and rendered in each service's own OpenStack error format.

Handlers raise these; ``install_error_handlers`` renders them (and Falcon's own errors, and
anything unexpected, as a 500) through the service's formatter, because Keystone, Nova,
Glance, Neutron and Cinder each shape their error bodies differently and the stock
clients read those shapes.
"""
import http
import logging

import falcon

LOG = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the client should see. ``error_type`` names it for Neutron-style bodies."""

    status = 500

    def __init__(self, message, error_type=None, headers=None):
        super().__init__(message)
        self.message = message
        self.error_type = error_type or type(self).__name__
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class NotAcceptable(ApiError):
    status = 406


class Conflict(ApiError):
    status = 409


class Gone(ApiError):
    status = 410


class RequestEntityTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class ServiceUnavailable(ApiError):
    status = 503


def title(status):
    return http.HTTPStatus(status).phrase


def install_error_handlers(app, formatter):
    """Render every error raised in ``app`` with ``formatter(status, message, error_type)``,
    which returns the JSON body of that service's error format."""

    def _render(resp, status, message, error_type, headers=None):
        resp.status = status
        resp.media = formatter(status, message, error_type)
        for name, value in (headers or {}).items():
            resp.set_header(name, value)

    def handle_api_error(req, resp, ex, params):
        _render(resp, ex.status, ex.message, ex.error_type, ex.headers)

    def handle_falcon_error(req, resp, ex, params):
        status = ex.status_code
        message = ex.description or ex.title or title(status)
        _render(resp, status, message, type(ex).__name__, dict(ex.headers or {}))

    def handle_unexpected(req, resp, ex, params):
        LOG.exception("Unexpected error in %s %s", req.method, req.path)
        _render(resp, 500, "An unexpected error prevented the server from fulfilling "
                           "the request.", "InternalServerError")

    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(falcon.HTTPError, handle_falcon_error)
    app.add_error_handler(ApiError, handle_api_error)
