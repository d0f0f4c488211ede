"""The metadata service guests reach at http://169.254.169.254/: one small threaded HTTP
server per network, in the agent process, listening inside the network's ``qdhcp-``
namespace (whose veth end holds 169.254.169.254/32; DHCP routes guests there).

A guest is known by its port: the request's source address is a fixed IP of one of this
host's ports on the network, and that port's device_id is the instance. So a guest reads
only its own metadata, and an address no port here has gets 404. The documents come from
the conductor (``get_instance_metadata``), built by ``contract.guest_metadata`` as
the config drive's are, and are kept a few seconds: a booting guest asks for several.

``DhcpServer`` starts a network's proxy with the namespace (``serve``), tells it this
host's ports whenever dnsmasq learns them (``update_ports``), and stops it before it
deletes the namespace (``stop``): a socket keeps its namespace alive.
"""
import dataclasses
import http
import http.server
import json
import logging
import socket
import socketserver
import threading
import urllib.parse

import cachetools
from pyroute2 import netns

from contract import exception, rpc
from contract.guest_metadata import decode_user_data
from controller.conductor.rpcapi import ConductorAPI

LOG = logging.getLogger(__name__)

METADATA_ADDRESS = "169.254.169.254"
METADATA_PORT = 80
LISTEN_BACKLOG = 64
# A guest that opens a connection and sends nothing holds a thread this long at most.
REQUEST_TIMEOUT = 10
# How long an instance's documents are reused, and how long the conductor may take.
CACHE_SECONDS = 15
CACHE_SIZE = 1024
RPC_TIMEOUT = 10

# The EC2 versions served (all the same tree), and the OpenStack ones with the version
# that introduced each file (Nova's), so an older version lists only what it had.
EC2_VERSIONS = ("2009-04-04", "latest")
OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
                      "2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14", "latest")
OPENSTACK_FILES = {"meta_data.json": ("2012-08-10", "meta_data"),
                   "user_data": ("2012-08-10", "user_data"),
                   "vendor_data.json": ("2013-10-17", "vendor_data"),
                   "network_data.json": ("2015-10-15", "network_data"),
                   "vendor_data2.json": ("2016-10-06", "vendor_data2")}
READ_METHODS = ("GET", "HEAD")

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
BINARY = "application/octet-stream"


# --- what a path answers: pure ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class File:
    body: bytes
    content_type: str = TEXT


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = TEXT
    headers: tuple = ()


class _VersionList(dict):
    """A directory of versions: listed by bare name, as clients parse it."""


def _error(status):
    return Response(status, http.HTTPStatus(status).phrase.encode())


def tree(documents):
    """The whole namespace of paths for one instance: directories are dicts, files are
    ``File`` or (in the EC2 tree) str."""
    user_data = decode_user_data(documents["user_data"])
    ec2 = {"meta-data": documents["ec2_meta_data"]}
    if user_data is not None:
        ec2["user-data"] = File(user_data, BINARY)
    openstack = _VersionList()
    for version in OPENSTACK_VERSIONS:
        files = {}
        for name, (since, key) in OPENSTACK_FILES.items():
            if version < since:    # ISO dates sort as text; "latest" after them all
                continue
            if key == "user_data":
                if user_data is not None:
                    files[name] = File(user_data, BINARY)
            else:
                files[name] = File(json.dumps(documents[key]).encode(), JSON)
        openstack[version] = files
    root = _VersionList({version: ec2 for version in EC2_VERSIONS})
    root["openstack"] = openstack
    return root


def listing(directory):
    """A directory's entries one a line, as Nova lists them: subdirectories end in
    ``/``, or show their ``_name`` (``0=<key name>``); versions are bare names."""
    lines = []
    for name in sorted(directory):
        if name.startswith("_"):
            continue
        child = directory[name]
        if isinstance(child, dict) and not isinstance(directory, _VersionList):
            name += f"={child['_name']}" if "_name" in child else "/"
        lines.append(name)
    return "\n".join(lines).encode()


def route(method, path, documents):
    """The response to ``method path`` for the instance with these ``documents``.
    Unknown paths are 404; a path that exists answers only GET and HEAD (405)."""
    node = tree(documents)
    for part in urllib.parse.unquote(urllib.parse.urlsplit(path).path).split("/"):
        if not part:
            continue
        if not isinstance(node, dict) or part.startswith("_") or part not in node:
            return _error(404)
        node = node[part]
    if method not in READ_METHODS:
        return dataclasses.replace(_error(405), headers=(("Allow", ", ".join(READ_METHODS)),))
    if isinstance(node, dict):
        return Response(200, listing(node))
    if isinstance(node, str):
        return Response(200, node.encode())
    return Response(200, node.body, node.content_type)


def instances_by_address(ports):
    """{fixed IP: instance uuid} of the ports (this host's, on one network) that belong
    to an instance."""
    return {fixed_ip["ip_address"]: port["device_id"]
            for port in ports if port.get("device_id")
            for fixed_ip in port["fixed_ips"]}


# --- the server in the namespace -------------------------------------------------------

def listen_in_namespace(namespace, address, port):
    """A TCP socket listening on ``address:port`` inside network namespace
    ``namespace``. A short-lived thread enters the namespace (setns moves only the
    calling thread) and makes it; the socket stays in the namespace it was made in, and
    the agent's other threads stay where they are."""
    made = {}

    def make():
        try:
            netns.setns(namespace, flags=0)     # 0: never create a missing namespace
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, port))
                sock.listen(LISTEN_BACKLOG)
            except BaseException:
                sock.close()
                raise
            made["socket"] = sock
        except Exception as exc:
            made["error"] = exc

    thread = threading.Thread(target=make, name=f"setns-{namespace}")
    thread.start()
    thread.join()
    if "error" in made:
        raise made["error"]
    return made["socket"]


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "pocketstack-metadata"
    timeout = REQUEST_TIMEOUT

    def _respond(self):
        response = self.server.proxy.respond(self.command, self.path, self.client_address[0])
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # Every method reaches the router, which answers 405 to all but GET and HEAD.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _respond

    def log_message(self, format, *args):
        LOG.debug("metadata request from %s: " + format, self.client_address[0], *args)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Serves a socket made elsewhere (in the namespace), a thread per request; closing
    it waits for those threads (at most REQUEST_TIMEOUT), so nothing outlives it."""

    def __init__(self, listening_socket, proxy):
        socketserver.BaseServer.__init__(self, listening_socket.getsockname(), _Handler)
        self.socket = listening_socket
        self.proxy = proxy


class MetadataProxy:
    """The metadata service of one network on this host.

    ``documents_of(instance_uuid)`` returns an instance's documents
    (``contract.guest_metadata.documents``) or raises InstanceNotFound.
    """

    def __init__(self, network_id, namespace, documents_of):
        self.network_id = network_id
        self.namespace = namespace
        self._documents_of = documents_of
        self._instances = {}
        self._server = None
        self._thread = None

    def set_ports(self, ports):
        """Answer for these ports (this host's on the network) from now on."""
        self._instances = instances_by_address(ports)

    def respond(self, method, path, source_address):
        instance_uuid = self._instances.get(source_address)
        if instance_uuid is None:
            LOG.info("metadata request for %s from %s: no port of network %s here has "
                     "that address", path, source_address, self.network_id)
            return _error(404)
        try:
            documents = self._documents_of(instance_uuid)
        except exception.InstanceNotFound:
            return _error(404)
        except Exception:
            LOG.exception("metadata of instance %s", instance_uuid)
            return _error(500)
        return route(method, path, documents)

    def start(self):
        sock = listen_in_namespace(self.namespace, METADATA_ADDRESS, METADATA_PORT)
        self._server = _Server(sock, self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"metadata-{self.network_id[:11]}", daemon=True)
        self._thread.start()
        LOG.info("metadata service of network %s listening in %s", self.network_id,
                 self.namespace)

    def stop(self):
        """Stop serving, close the socket, wait for requests in progress."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        LOG.info("metadata service of network %s stopped", self.network_id)


class ConductorDocuments:
    """``documents_of`` for this host's instances: asks the conductor, which answers
    only for instances on ``host``, and keeps each answer CACHE_SECONDS."""

    def __init__(self, host):
        self.host = host
        self._cache = cachetools.TTLCache(maxsize=CACHE_SIZE, ttl=CACHE_SECONDS)
        self._lock = threading.Lock()
        self._conductor = None

    def __call__(self, instance_uuid):
        with self._lock:
            documents = self._cache.get(instance_uuid)
            if self._conductor is None:     # no transport until a guest asks
                self._conductor = ConductorAPI(timeout=RPC_TIMEOUT)
            conductor = self._conductor
        if documents is None:
            documents = conductor.get_instance_metadata(
                rpc.RequestContext(is_admin=True, overwrite=False), instance_uuid, self.host)
            with self._lock:
                self._cache[instance_uuid] = documents
        return documents


# --- this process's proxies, one per network ------------------------------------------

_proxies = {}
_proxies_lock = threading.Lock()


def serve(network_id, namespace, ports, host):
    """Make sure the network's metadata service runs in ``namespace`` (which must exist,
    with 169.254.169.254 on it) and answers for ``ports``, this host's ports of the
    network; ``host`` is this agent's host, whose instances the conductor describes."""
    with _proxies_lock:
        proxy = _proxies.get(network_id)
        if proxy is None:
            proxy = MetadataProxy(network_id, namespace, ConductorDocuments(host))
            proxy.start()
            _proxies[network_id] = proxy
        proxy.set_ports(ports)


def resume(network_id, namespace, ports, host):
    """At agent start: serve again a network whose namespace outlived the agent's
    previous process. One that is gone or half built (the host rebooted) gets its
    metadata service back when the network is next refreshed or plugged."""
    if namespace not in netns.listnetns():
        return
    try:
        serve(network_id, namespace, ports, host)
    except OSError as exc:
        LOG.warning("metadata service of network %s not resumed: %s", network_id, exc)


def update_ports(network_id, ports):
    """The network's ports on this host changed: answer for exactly ``ports``."""
    with _proxies_lock:
        proxy = _proxies.get(network_id)
        if proxy is not None:
            proxy.set_ports(ports)


def stop(network_id):
    """Stop the network's metadata service, if this process runs one."""
    with _proxies_lock:
        proxy = _proxies.pop(network_id, None)
    if proxy is not None:
        proxy.stop()


def running():
    """Networks whose metadata service runs in this process."""
    with _proxies_lock:
        return sorted(_proxies)
