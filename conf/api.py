"""Options of the HTTP APIs ([api]), and the public URL they make."""
from oslo_config import cfg

GROUP = "api"

api_opts = [
    cfg.StrOpt("bind_host", default="0.0.0.0",
               help="Address the HTTP APIs listen on."),
    cfg.PortOpt("bind_port", default=5000,
                help="Port of the HTTP APIs. Every API is served on it under a path "
                     "prefix: /identity, /compute, /image, /networking, /volume."),
    cfg.StrOpt("public_url",
               help="Base URL that clients use to reach the APIs, written into the "
                    "service catalog. Default: http://<host>:<bind_port>."),
    cfg.IntOpt("threads", default=16, min=2,
               help="Worker threads of the HTTP server."),
    cfg.IntOpt("token_cache_seconds", default=5, min=0, max=300,
               help="How long an API may reuse a token validation before asking "
                    "identity again. A revocation seen by this process ends it at once."),
    # Request bodies (controller.api.body): what every API accepts before parsing.
    cfg.IntOpt("max_request_body_size", default=114688, min=1024,
               help="Largest request body in bytes any API reads (image data excepted); "
                    "a larger one is refused with 413 before it is read, as "
                    "oslo.middleware's sizelimit does."),
    cfg.IntOpt("max_json_depth", default=32, min=4, max=200,
               help="Deepest nesting of arrays and objects a JSON request body may have."),
]


def register_opts(conf):
    conf.register_opts(api_opts, group="api")


def list_opts():
    return [(GROUP, api_opts)]


def public_url(conf):
    """Base URL of the APIs as written into the catalog."""
    if conf.api.public_url:
        return conf.api.public_url.rstrip("/")
    host = conf.api.bind_host
    if host in ("0.0.0.0", "::"):
        host = conf.host
    return f"http://{host}:{conf.api.bind_port}"
