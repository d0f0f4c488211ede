"""The controller's CPU to receive an image body, for one or more source trees side by
side in one run (a script, not a test), against the floor any upload pays.

For each round and each tree: a process receives SIZE_MIB of random data over loopback,
through cheroot's own socket reader (a Content-Length body, then a chunked one in 1 MiB
chunks as python-glanceclient sends), into that tree's ``transfer.receive`` (digests,
inspection, write, fsync); its CPU is read with ``getrusage``. The floors: MD5 + SHA-512
of the same amount of data, and ``recv_into`` + ``write`` + ``fsync`` with no hashing.
Prints the lowest and every round's CPU per GiB.

    .venv/bin/python bench/bench_image_receive.py 256 5 /path/to/old:old .:new
"""
import hashlib, os, resource, socket, subprocess, sys, tempfile, threading, time, json

MiB = 1 << 20

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def receiver(tree, mode, size, port, workdir):
    sys.path.insert(0, tree)
    from cheroot import makefile, server
    from controller.image import quota, store, transfer
    lim = quota.UploadLimits(max_image_size=1 << 40, project_quota=0, project_usage=0)
    st = store.FilesystemStore(os.path.join(workdir, "images"))
    lsock = socket.socket(); lsock.bind(("127.0.0.1", port)); lsock.listen(1)
    print("ready", flush=True)
    conn, _ = lsock.accept(); conn.settimeout(60)
    rfile = makefile.MakeFile(conn, "rb")
    stream = server.ChunkedRFile(rfile, maxlen=0) if mode == "chunked" else server.KnownLengthRFile(rfile, size)
    c0, t0 = cpu(), time.monotonic()
    from controller.api import chunked
    if hasattr(chunked, "direct"):
        body = chunked.direct(stream)
    else:   # trees before the body was read straight into the buffers
        body = transfer.read_chunks(chunked.unchunked(stream),
                                    None if mode == "chunked" else size)
    got = transfer.receive(st, "img", body, "raw", lim)
    c1, t1 = cpu(), time.monotonic()
    got.staged.discard()
    print(json.dumps({"cpu": c1 - c0, "wall": t1 - t0, "size": got.size}), flush=True)

def io_only(port, size, workdir):
    """recv_into a reused 1 MiB buffer, write it, fsync: the copies any upload makes."""
    lsock = socket.socket(); lsock.bind(("127.0.0.1", port)); lsock.listen(1)
    print("ready", flush=True)
    conn, _ = lsock.accept()
    buf = bytearray(MiB); view = memoryview(buf)
    fd = os.open(os.path.join(workdir, "io-only"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    c0, t0 = cpu(), time.monotonic(); total = 0
    while True:
        filled = 0
        while filled < MiB:
            n = conn.recv_into(view[filled:])
            if not n: break
            filled += n
        if not filled: break
        os.write(fd, view[:filled]); total += filled
        if filled < MiB: break
    os.fsync(fd); os.close(fd)
    print(json.dumps({"cpu": cpu() - c0, "wall": time.monotonic() - t0, "size": total}), flush=True)

def floor(size):
    data = os.urandom(MiB)
    md5, sha = hashlib.md5(), hashlib.sha512()
    c0 = cpu()
    for _ in range(size // MiB):
        md5.update(data); sha.update(data)
    print(json.dumps({"cpu": cpu() - c0}), flush=True)

def send(port, mode, path, size):
    s = socket.create_connection(("127.0.0.1", port))
    with open(path, "rb") as f:
        if mode == "chunked":
            while chunk := f.read(MiB):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        else:
            s.sendfile(f)
    s.close()

if __name__ == "__main__":
    if sys.argv[1] == "recv":
        receiver(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]); sys.exit()
    if sys.argv[1] == "io":
        io_only(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]); sys.exit()
    if sys.argv[1] == "floor":
        floor(int(sys.argv[2])); sys.exit()
    size = int(sys.argv[1]) * MiB; rounds = int(sys.argv[2]); trees = [a.split(":") for a in sys.argv[3:]]
    with tempfile.TemporaryDirectory(dir="/var/tmp") as w:
        path = os.path.join(w, "data")
        with open(path, "wb") as f:
            for _ in range(size // MiB): f.write(os.urandom(MiB))
        results = {}
        for r in range(rounds):
            for mode in ("length", "chunked"):
                for tree, label in trees:
                    port = 20000 + os.getpid() % 20000
                    p = subprocess.Popen([sys.executable, __file__, "recv", tree, mode, str(size), str(port), w], stdout=subprocess.PIPE, text=True)
                    assert p.stdout.readline().strip() == "ready"
                    send(port, mode, path, size)
                    res = json.loads(p.stdout.readline()); p.wait()
                    results.setdefault((label, mode), []).append(res["cpu"])
            port = 20000 + os.getpid() % 20000
            p = subprocess.Popen([sys.executable, __file__, "io", str(port), str(size), w], stdout=subprocess.PIPE, text=True)
            assert p.stdout.readline().strip() == "ready"
            send(port, "length", path, size)
            results.setdefault(("io-only", "length"), []).append(json.loads(p.stdout.readline())["cpu"]); p.wait()
            p = subprocess.run([sys.executable, __file__, "floor", str(size)], capture_output=True, text=True)
            results.setdefault(("digests", "-"), []).append(json.loads(p.stdout)["cpu"])
        print(f"load {os.getloadavg()} at {time.strftime('%H:%M:%S')}")
        for k, v in results.items():
            print(f"{k[0]:8s} {k[1]:8s} CPU s per GiB: min {min(v)*1024*MiB/size:.2f}  all {[round(x*1024*MiB/size,2) for x in v]}")
