"""Upstreams that record what reaches them, and upstreams that misbehave.

Two jobs that docker-registry cannot do:

- **Witness.** A denied request must never be forwarded, and a smuggled
  request must never appear upstream. `Upstream` keeps every request it
  parsed (`requests`) and every byte it received (`received()`), so a test
  can assert that a marker it put in a denied or smuggled request never
  arrived, not just that the client saw a 403.
- **Hostile peer.** An upstream that stalls, closes early, resets, sends
  garbage or a response pullgate must not relay (two lengths, a 101, a
  head larger than any sane one, a body cut short), or that accepts TCP
  and never says a word of TLS.

The default behaviour "registry" answers like a permissive registry:
200 with a small JSON body naming the path (blob paths get `blob_size`
bytes), on kept-alive connections, HEAD without a body. Each instance
listens on its own 127.x.y.z address and a free port, with TLS from a
pki.Certificate or in plain HTTP, in daemon threads; stop() closes the
listener and every connection. Nothing waits without a deadline.
"""

import json
import os
import socket
import ssl
import struct
import threading
import time

from . import net

BEHAVIOURS = ("registry", "stall", "close", "reset", "garbage", "bad_status", "cl_te",
              "two_lengths", "truncated", "huge_head", "switching", "silent")


class Request:
    def __init__(self, method, target, version, headers, body, connection):
        self.method, self.target, self.version = method, target, version
        self.headers, self.body, self.connection = headers, body, connection

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"Request({self.method} {self.target} {len(self.body)} body bytes)"


class _Unparseable(Exception):
    pass


class Upstream:
    def __init__(self, *, tls=None, behaviour="registry", blob_size=1024, name="upstream",
                 address=None, stall_seconds=60, blob_pace=None):
        if behaviour not in BEHAVIOURS and not callable(behaviour):
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.name = name
        self.behaviour = behaviour
        self.blob_size = blob_size
        self.blob_pace = blob_pace  # (bytes, seconds) between writes, for slow blobs
        self.stall_seconds = stall_seconds
        self.address = address or net.loopback_address()
        self.context = None
        if tls is not None:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(tls.cert_path, tls.key_path)
            self.context.set_alpn_protocols(["http/1.1"])
        self.listener = socket.create_server((self.address, 0), backlog=4096)
        self.port = self.listener.getsockname()[1]
        self.requests = []
        self.connections = 0
        self._raw = []          # bytes received, per connection
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open = set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"{name}-accept")
        self._thread.start()

    @property
    def endpoint(self):
        return f"{self.address}:{self.port}"

    # -- observation -------------------------------------------------------
    def received(self):
        """Every byte every connection sent, concatenated per connection."""
        with self._lock:
            return [bytes(b) for b in self._raw]

    def saw(self, marker):
        """Whether `marker` (bytes or str) appears in anything received."""
        if isinstance(marker, str):
            marker = marker.encode("latin-1")
        return any(marker in chunk for chunk in self.received())

    def requests_matching(self, text):
        with self._lock:
            return [r for r in self.requests if text in r.target]

    def wait_for_requests(self, count, timeout=10):
        net.wait_until(lambda: len(self.requests) >= count, timeout,
                       f"{count} requests at {self.name}")
        return list(self.requests)

    def wait_for_connections(self, count, timeout=10):
        net.wait_until(lambda: self.connections >= count, timeout,
                       f"{count} connections at {self.name}")

    # -- life cycle --------------------------------------------------------
    def stop(self):
        self._stop.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self._lock:
            socks = list(self._open)
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    def _accept_loop(self):
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(sock)
                raw = bytearray()
                self._raw.append(raw)
            threading.Thread(target=self._serve, args=(sock, raw), daemon=True).start()

    def _serve(self, sock, raw):
        conn = sock
        try:
            sock.settimeout(10)
            if self.behaviour == "silent":
                # TCP accepted by the kernel; not one byte of TLS or HTTP.
                self._stop.wait(self.stall_seconds)
                return
            if self.context is not None:
                conn = self.context.wrap_socket(sock, server_side=True)
            reader = _Reader(conn, raw)
            while not self._stop.is_set():
                try:
                    request = reader.request()
                except _Unparseable:
                    return
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                if not self._respond(conn, request):
                    return
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            with self._lock:
                self._open.discard(sock)
            try:
                conn.close()
            except OSError:
                pass

    # -- behaviours: return whether the connection may carry another request
    def _respond(self, conn, request):
        b = self.behaviour
        if callable(b):
            return b(conn, request)
        if b == "registry":
            return self._registry(conn, request)
        if b == "stall":
            self._stop.wait(self.stall_seconds)
            return False
        if b == "close":
            return False
        if b == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if b == "garbage":
            conn.sendall(b"\x00\xff\xfeSSH-2.0-OpenSSH_9.2 this is not HTTP\r\n\x1b[31m\r\n\r\n")
            return False
        if b == "bad_status":
            conn.sendall(b"HTTP/1.1 2000 Very OK\r\nContent-Length: 2\r\n\r\n{}")
            return False
        if b == "cl_te":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
                         b"\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            return False
        if b == "two_lengths":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}")
            return False
        if b == "truncated":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         b"Content-Length: 100000\r\n\r\n" + b"x" * 1000)
            time.sleep(0.2)
            return False
        if b == "huge_head":
            head = b"HTTP/1.1 200 OK\r\n" + b"".join(
                b"X-Filler-%d: %s\r\n" % (i, b"y" * 1000) for i in range(2000))
            try:
                conn.sendall(head + b"Content-Length: 0\r\n\r\n")
            except OSError:
                pass
            return False
        if b == "switching":
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\n\r\nraw bytes of another protocol")
            self._stop.wait(2)
            return False
        return False

    def _registry(self, conn, request):
        path = request.target.split("?", 1)[0]
        is_blob = "/blobs/sha256:" in path and request.method in ("GET", "HEAD")
        if is_blob:
            length = self.blob_size
            content_type = b"application/octet-stream"
        else:
            body = json.dumps({"method": request.method, "target": request.target}).encode()
            length = len(body)
            content_type = b"application/json"
        status = b"200 OK"
        if request.method in ("POST", "PATCH"):
            status = b"202 Accepted"
        elif request.method == "PUT":
            status = b"201 Created"
        head = (b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type +
                b"\r\nDocker-Distribution-Api-Version: registry/2.0\r\n"
                b"Content-Length: " + str(length).encode() + b"\r\n\r\n")
        conn.sendall(head)
        if request.method == "HEAD":
            return True
        if not is_blob:
            conn.sendall(body)
            return True
        block = b"b" * 65536
        left = length
        step, pause = self.blob_pace or (len(block), 0)
        while left > 0 and not self._stop.is_set():
            n = min(left, step, len(block))
            conn.sendall(block[:n])
            left -= n
            if pause:
                time.sleep(pause)
        return True


class _Reader:
    """A strict little request reader: head up to CRLFCRLF, then a body
    by Content-Length or chunked framing."""

    def __init__(self, conn, raw):
        self.conn, self.raw, self.buffer = conn, raw, b""

    def _fill(self):
        data = self.conn.recv(65536)
        if not data:
            return False
        self.raw.extend(data)
        self.buffer += data
        return True

    def _until(self, marker, limit=1 << 20):
        while marker not in self.buffer:
            if len(self.buffer) > limit or not self._fill():
                return None
        i = self.buffer.index(marker) + len(marker)
        out, self.buffer = self.buffer[:i], self.buffer[i:]
        return out

    def _exactly(self, n):
        while len(self.buffer) < n:
            if not self._fill():
                raise _Unparseable("closed inside a body")
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def request(self):
        head = self._until(b"\r\n\r\n")
        if head is None:
            if self.buffer:
                raise _Unparseable("closed inside a head")
            return None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            raise _Unparseable(lines[0])
        headers = []
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers.append((k.strip(), v.strip()))
        request = Request(parts[0], parts[1], parts[2], headers, b"", self)
        te = request.header("transfer-encoding")
        if te is not None and te.lower() == "chunked":
            body = b""
            while True:
                line = self._until(b"\r\n")
                if line is None:
                    raise _Unparseable("closed in a chunk size")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self._until(b"\r\n") not in (None, b"\r\n"):
                        pass
                    break
                body += self._exactly(size)
                self._exactly(2)
            request.body = body
        elif request.header("content-length") is not None:
            request.body = self._exactly(int(request.header("content-length")))
        return request


def start_all(certificate, behaviours, **kwargs):
    """{behaviour: Upstream} for each name, all with `certificate`."""
    return {b: Upstream(tls=certificate, behaviour=b, name=b, **kwargs) for b in behaviours}


def blob_digest(tag="0"):
    """A syntactically valid sha256 digest, distinct per `tag`."""
    import hashlib
    return "sha256:" + hashlib.sha256(str(tag).encode()).hexdigest()


def random_marker():
    return "m" + os.urandom(6).hex()
