"""The base-image cache against a real HTTP server on loopback: one download per image
however many builds want it at once, and nothing usable-looking left by a bad one."""
import collections
import hashlib
import http.server
import multiprocessing
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest

from agent.image.cache import ImageCache, ImageCorrupt, UnsafeImage
from contract.clients.image import ImageClient, ImageError, ImageNotFound

TOKEN = "user-token"


class ImageServer:
    """Stands in for the image service's ``GET /v2/images/{id}/file``; counts requests."""

    def __init__(self):
        self.delay = 0.0  # seconds before answering, to make concurrent requests overlap
        self.images = {}
        self.requests = collections.Counter()
        self.tokens = set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                image_id = self.path.split("/")[-2]
                server.requests[image_id] += 1
                server.tokens.add(self.headers.get("X-Auth-Token"))
                data = server.images.get(image_id)
                time.sleep(server.delay)
                self.send_response(200 if data is not None else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_port}/image"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def add(self, data, disk_format="raw", **overrides):
        image_id = str(uuid.uuid4())
        self.images[image_id] = data
        meta = {"id": image_id, "disk_format": disk_format, "size": len(data),
                "os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(data).hexdigest()}
        meta.update(overrides)
        return meta

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    instance = ImageServer()
    yield instance
    instance.close()


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "_base")


def new_cache(cache_dir, endpoint):
    return ImageCache(cache_dir, ImageClient(endpoint))


def raw_image(mib=3):
    return os.urandom(mib * 1024 * 1024 + 123)


def files_in(cache_dir):
    return sorted(name for name in os.listdir(cache_dir) if name != ".locks")


def test_download_verifies_and_caches(server, cache_dir):
    data = raw_image()
    meta = server.add(data)
    cache = new_cache(cache_dir, server.endpoint)
    base, hit = cache.fetch(TOKEN, meta)
    assert not hit
    assert base.path == os.path.join(cache_dir, meta["id"])
    assert (base.disk_format, base.virtual_size) == ("raw", len(data))
    with open(base.path, "rb") as f:
        assert f.read() == data
    assert server.tokens == {TOKEN}
    assert cache.fetch(TOKEN, meta)[1] is True
    assert server.requests[meta["id"]] == 1
    assert files_in(cache_dir) == [meta["id"]]


def test_concurrent_fetches_download_once(server, cache_dir):
    server.delay = 0.3
    meta = server.add(raw_image())
    cache = new_cache(cache_dir, server.endpoint)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.fetch(TOKEN, meta)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.requests[meta["id"]] == 1
    assert sorted(hit for _, hit in results) == [False, True]


def _fetch_in_child(cache_dir, endpoint, meta):
    new_cache(cache_dir, endpoint).fetch(TOKEN, meta)


def test_agents_sharing_the_cache_directory_download_once(server, cache_dir):
    server.delay = 0.3
    meta = server.add(raw_image())
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_fetch_in_child,
                                args=(cache_dir, server.endpoint, meta))
                for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert [child.exitcode for child in children] == [0, 0]
    assert server.requests[meta["id"]] == 1


def test_corrupt_download_leaves_nothing(server, cache_dir):
    meta = server.add(raw_image(), os_hash_value=hashlib.sha512(b"other").hexdigest())
    cache = new_cache(cache_dir, server.endpoint)
    with pytest.raises(ImageCorrupt, match="does not match its sha512 checksum"):
        cache.fetch(TOKEN, meta)
    assert files_in(cache_dir) == []


def test_md5_checksum_when_there_is_no_multihash(server, cache_dir):
    data = raw_image(1)
    meta = server.add(data, os_hash_algo=None, os_hash_value=None,
                      checksum=hashlib.md5(data).hexdigest())
    cache = new_cache(cache_dir, server.endpoint)
    assert cache.fetch(TOKEN, meta)[0].virtual_size == len(data)
    bad = server.add(data, os_hash_algo=None, os_hash_value=None, checksum="0" * 32)
    with pytest.raises(ImageCorrupt, match="md5"):
        cache.fetch(TOKEN, bad)
    assert files_in(cache_dir) == [meta["id"]]


def test_truncated_download_leaves_nothing(server, cache_dir):
    data = raw_image(1)
    meta = server.add(data, size=len(data) + 1)
    with pytest.raises(ImageCorrupt, match="bytes"):
        new_cache(cache_dir, server.endpoint).fetch(TOKEN, meta)
    assert files_in(cache_dir) == []


def qemu_img(tmp_path, *args):
    if shutil.which("qemu-img") is None:
        pytest.skip("qemu-img is not installed")
    path = tmp_path / f"made-{uuid.uuid4().hex}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", *args, str(path), "16M"],
                   check=True)
    return path.read_bytes()


def test_qcow2_with_a_backing_file_is_refused(server, cache_dir, tmp_path):
    data = qemu_img(tmp_path, "-F", "raw", "-b", "/etc/hostname")
    meta = server.add(data, disk_format="qcow2")
    with pytest.raises(UnsafeImage, match="refused"):
        new_cache(cache_dir, server.endpoint).fetch(TOKEN, meta)
    assert files_in(cache_dir) == []


def test_content_must_be_the_declared_format(server, cache_dir, tmp_path):
    meta = server.add(qemu_img(tmp_path), disk_format="raw")
    with pytest.raises(UnsafeImage, match="qcow2"):
        new_cache(cache_dir, server.endpoint).fetch(TOKEN, meta)
    assert files_in(cache_dir) == []


def test_plain_qcow2_reports_its_virtual_size(server, cache_dir, tmp_path):
    meta = server.add(qemu_img(tmp_path), disk_format="qcow2")
    cache = new_cache(cache_dir, server.endpoint)
    assert cache.fetch(TOKEN, meta)[0].virtual_size == 16 * 1024 * 1024
    assert cache.fetch(TOKEN, meta)[0].virtual_size == 16 * 1024 * 1024  # from the cache


def test_unsupported_format_and_missing_image(server, cache_dir):
    cache = new_cache(cache_dir, server.endpoint)
    with pytest.raises(ImageError, match="disk_format 'vmdk'"):
        cache.fetch(TOKEN, server.add(b"x" * 512, disk_format="vmdk"))
    meta = server.add(b"x" * 512)
    del server.images[meta["id"]]
    with pytest.raises(ImageNotFound):
        cache.fetch(TOKEN, meta)
    with pytest.raises(ImageError, match="Invalid image ID"):
        cache.fetch(TOKEN, dict(meta, id="../../etc"))
    assert files_in(cache_dir) == []


def test_unused_bases_age_out(server, cache_dir):
    cache = new_cache(cache_dir, server.endpoint)
    used, unused, recent = (server.add(raw_image(1)) for _ in range(3))
    for meta in (used, unused, recent):
        cache.fetch(TOKEN, meta)
    long_ago = time.time() - 7200
    for meta in (used, unused):
        os.utime(cache.path_of(meta["id"]), (long_ago, long_ago))
    stale = os.path.join(cache_dir, f".{recent['id']}.abc.part")
    open(stale, "wb").close()

    assert cache.remove_unused({used["id"]}, max_age=3600) == [unused["id"]]
    assert files_in(cache_dir) == sorted([used["id"], recent["id"]])
    # the base in use was touched: it is young again
    assert time.time() - os.path.getmtime(cache.path_of(used["id"])) < 60
    assert cache.remove_unused(set(), max_age=0) == sorted([used["id"], recent["id"]])
    assert files_in(cache_dir) == []
