"""The clients the tests drive directly: curl, openssl s_client, and a
raw tunnel for what both of them hide.

curl is what an operator would use to see pullgate's answers, so most
checks go through it; its per-transfer `%{json}` write-out gives the
CONNECT status, the HTTP status and how many connections it opened, and
`-D` keeps every status line, the CONNECT's included. The raw tunnel
(CONNECT, TLS, then bytes) exists for framing checks that curl would
paper over, such as a HEAD answer that must carry no body on a
connection that is reused next. skopeo lives in image.py.
"""

import json
import os
import socket
import ssl

from . import procs


class CurlResult:
    """One curl invocation: `transfers` holds curl's %{json} object for
    each URL, in order; `header_text` every response head curl received,
    the CONNECT's included."""

    def __init__(self, completed, transfers, header_text, bodies):
        self.exit_code = completed.returncode
        self.stderr = completed.stderr
        self.transfers = transfers
        self.header_text = header_text
        self.bodies = bodies

    @property
    def status(self):
        return self.transfers[0].get("http_code") if self.transfers else None

    @property
    def connect_status(self):
        return self.transfers[0].get("http_connect") if self.transfers else None

    @property
    def body(self):
        return self.bodies[0] if self.bodies else b""

    def status_lines(self):
        return [line for line in self.header_text.splitlines() if line.startswith("HTTP/")]

    def header(self, name):
        """The last value of header `name` (any response), or None."""
        value = None
        for line in self.header_text.splitlines():
            key, _, rest = line.partition(":")
            if key.strip().lower() == name.lower():
                value = rest.strip()
        return value

    def __repr__(self):
        return (f"CurlResult(exit={self.exit_code}, statuses={self.status_lines()}, "
                f"stderr={self.stderr.strip()[-500:]!r})")


def curl(urls, *, workdir, proxy=None, cacert=None, method=None, headers=(), data_file=None,
         upload_file=None, output=None, head=False, extra=(), timeout=30):
    """Run curl once for one URL or a list of URLs (one connection when
    it can reuse it). Bodies are kept in memory unless `output` (a path,
    single URL) is given."""
    if isinstance(urls, str):
        urls = [urls]
    os.makedirs(workdir, exist_ok=True)
    header_file = os.path.join(workdir, "curl.headers")
    args = ["curl", "-sS", "-D", header_file, "-w", "%{json}\\n", "--max-time", str(timeout)]
    if proxy:
        args += ["--proxy", proxy]
    if cacert:
        args += ["--cacert", cacert]
    if method:
        args += ["-X", method]
    if head:
        args.append("-I")
    for h in headers:
        args += ["-H", h]
    if data_file:
        args += ["--data-binary", f"@{data_file}"]
    if upload_file:
        args += ["-T", upload_file]
    args += list(extra)
    outputs = []
    for n, url in enumerate(urls):
        path = output if output else os.path.join(workdir, f"curl.body.{n}")
        outputs.append(path)
        args += ["-o", path, url]
    for path in outputs:
        if os.path.exists(path):
            os.remove(path)
    completed = procs.run(args, timeout + 10, check=False)
    transfers = [json.loads(line) for line in completed.stdout.splitlines()
                 if line.startswith("{")]
    try:
        with open(header_file, encoding="latin-1") as f:
            header_text = f.read()
    except FileNotFoundError:
        header_text = ""
    bodies = []
    if not output:
        for path in outputs:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    bodies.append(f.read())
            else:
                bodies.append(b"")
    return CurlResult(completed, transfers, header_text, bodies)


def s_client(proxy, host, port, *, cafile, timeout=15):
    """`openssl s_client` through pullgate (`-proxy`) to host:port,
    verifying against `cafile`. Returns (exit code, stdout + stderr)."""
    completed = procs.run(["openssl", "s_client", "-proxy", proxy, "-connect", f"{host}:{port}",
                           "-servername", host, "-CAfile", cafile, "-verify_return_error",
                           "-brief"], timeout, input="", check=False)
    return completed.returncode, completed.stdout + completed.stderr


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def __repr__(self):
        return f"Response({self.status} {self.reason!r}, {len(self.body)} body bytes)"


class Tunnel:
    """CONNECT host:port through pullgate, TLS on top (verified against
    pullgate's CA, SNI = host), then HTTP/1.1 written and parsed by hand,
    so a test sees the exact framing on one kept-alive connection."""

    def __init__(self, proxy_address, proxy_port, host, port, *, cafile, timeout=15):
        self.host = host
        sock = socket.create_connection((proxy_address, proxy_port), timeout=timeout)
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        self._raw = sock.makefile("rb")
        status, reason, _ = _read_head(self._raw)
        if status != 200:
            sock.close()
            raise AssertionError(f"CONNECT {host}:{port} answered {status} {reason}")
        context = ssl.create_default_context(cafile=cafile)
        self.sock = context.wrap_socket(sock, server_hostname=host)
        self.reader = self.sock.makefile("rb")

    def send(self, method, path, headers=None, body=b""):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if body or method in ("PUT", "POST", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def response(self, *, head=False):
        status, reason, headers = _read_head(self.reader)
        if head or status in (204, 304) or 100 <= status < 200:
            return Response(status, reason, headers, b"")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return Response(status, reason, headers, _read_chunked(self.reader))
        if "content-length" in headers:
            return Response(status, reason, headers,
                            _read_exactly(self.reader, int(headers["content-length"])))
        return Response(status, reason, headers, self.reader.read())

    def request(self, method, path, headers=None, body=b""):
        self.send(method, path, headers, body)
        return self.response(head=method == "HEAD")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def raw_connect(proxy_address, proxy_port, host, port, timeout=15):
    """Send `CONNECT host:port` and return pullgate's answer as a Response
    (its body read by Content-Length): for refusals, whose body curl
    never shows."""
    with socket.create_connection((proxy_address, proxy_port), timeout=timeout) as sock:
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        reader = sock.makefile("rb")
        status, reason, headers = _read_head(reader)
        length = int(headers.get("content-length", "0")) if status != 200 else 0
        return Response(status, reason, headers, _read_exactly(reader, length))


def _read_exactly(reader, n):
    data = reader.read(n)
    if len(data) != n:
        raise AssertionError(f"connection closed after {len(data)} of {n} body bytes")
    return data


def _read_head(reader):
    line = reader.readline(65536)
    if not line:
        raise AssertionError("connection closed before a response")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise AssertionError(f"not an HTTP/1.x status line: {line!r}")
    status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    headers = {}
    while True:
        line = reader.readline(65536).decode("latin-1").rstrip("\r\n")
        if not line:
            return status, reason, headers
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()


def _read_chunked(reader):
    body = b""
    while True:
        size = int(reader.readline(1024).split(b";")[0].strip(), 16)
        if size == 0:
            while reader.readline(65536) not in (b"\r\n", b"\n", b""):
                pass
            return body
        body += _read_exactly(reader, size)
        reader.readline(16)
