"""Raw sockets to pullgate, for the attacks that real clients never send.

curl and skopeo write well-formed HTTP; an attacker writes whatever bytes
get through. This module sends exact bytes, on plain HTTP or inside a
CONNECT tunnel (TLS from Python's ssl module, with any SNI and ALPN the
test chooses, or none), and parses what comes back without guessing:

- `Conn` wraps one socket (plain or TLS). `send` writes bytes as given;
  `response()` reads one HTTP/1.x response by its framing (Content-Length,
  chunked, or until close), returns None when the connection closed first;
  `closed_within()` tells whether pullgate closes the connection.
- `connect()` opens a TCP connection to the proxy, optionally from a
  chosen source address (127.0.0.0/8 is all ours), so the `clients`
  allow-list and the per-client caps can be exercised.
- `tunnel()` sends CONNECT and, when it is answered 200, starts TLS.
- `Conn.local` is "address:port" as pullgate writes it in the audit
  record's `client` field, so a test finds exactly its own records even
  when the pullgate is shared by the whole file.

Every read has a deadline; nothing here waits forever.
"""

import datetime
import os
import socket
import ssl
import time

DEFAULT_TIMEOUT = 10


class Response:
    """One HTTP response: status, reason, headers (a list of (name, value)
    in order, names as sent), body bytes, and the raw head."""

    def __init__(self, status, reason, headers, body, raw_head):
        self.status, self.reason, self.headers = status, reason, headers
        self.body, self.raw_head = body, raw_head

    def header(self, name):
        """The last value of header `name`, or None."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    def header_values(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self):
        return f"Response({self.status} {self.reason!r}, {len(self.body)} body bytes)"


class ConnectionClosed(AssertionError):
    """The peer closed before a complete response arrived."""


class Conn:
    """One connection to pullgate (plain TCP or TLS inside a tunnel)."""

    def __init__(self, sock, timeout=DEFAULT_TIMEOUT):
        self.sock = sock                # an ssl.SSLSocket inside a tunnel
        self.buffer = b""
        self.timeout = timeout
        self.eof = False
        sock.settimeout(timeout)
        address, port = sock.getsockname()[:2]
        self.local = f"{address}:{port}"
        # Records at or after this instant (the audit log's own format,
        # milliseconds): an earlier connection may have used the same source
        # port, even a moment ago (pullgate closes first when it refuses, so
        # the port is free again at once). Same clock; 20 ms of slack for the
        # accept that may come before this line runs.
        opened = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=20)
        self.opened = opened.strftime("%Y-%m-%dT%H:%M:%S.") + f"{opened.microsecond // 1000:03d}Z"

    # -- writing ---------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def send_slowly(self, data, interval, deadline=None):
        """One byte at a time, `interval` seconds apart; stops early (and
        returns False) when pullgate has closed the connection or the
        optional monotonic `deadline` passed."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        for i in range(len(data)):
            if deadline is not None and time.monotonic() > deadline:
                return False
            try:
                self.sock.sendall(data[i:i + 1])
            except OSError:
                return False
            time.sleep(interval)
        return True

    # -- reading ---------------------------------------------------------
    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from pullgate before the deadline")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        except ssl.SSLError as e:
            # A TLS alert or an unclean close ends the stream too.
            if "EOF" in str(e) or "alert" in str(e).lower() or "closed" in str(e).lower():
                data = b""
            else:
                raise
        except socket.timeout:
            raise TimeoutError("no data from pullgate before the deadline")
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def _read_until(self, marker, deadline, limit=1 << 22):
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise AssertionError(f"no {marker!r} within {limit} bytes")
            if not self._fill(deadline):
                return None
        index = self.buffer.index(marker) + len(marker)
        out, self.buffer = self.buffer[:index], self.buffer[index:]
        return out

    def _read_exactly(self, n, deadline):
        while len(self.buffer) < n:
            if not self._fill(deadline):
                raise ConnectionClosed(f"connection closed after {len(self.buffer)} of {n} "
                                       "body bytes")
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def read_all(self, timeout=None):
        """Everything until the peer closes (bounded)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            pass
        out, self.buffer = self.buffer, b""
        return out

    def response(self, head=False, timeout=None):
        """The next response, or None when the connection closed before
        its first byte. `head`: the request was HEAD (no body)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        raw_head = self._read_until(b"\r\n\r\n", deadline)
        if raw_head is None:
            if self.buffer:
                raise ConnectionClosed(f"connection closed inside a response head: "
                                       f"{self.buffer[:200]!r}")
            return None
        lines = raw_head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise AssertionError(f"not an HTTP/1.x status line: {lines[0]!r}")
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            key, _, value = line.partition(":")
            headers.append((key.strip(), value.strip()))
        r = Response(status, reason, headers, b"", raw_head)
        if head or status in (204, 304) or 100 <= status < 200:
            return r
        if status == 200 and reason.lower().startswith("connection established"):
            return r  # a CONNECT's answer: the tunnel follows, not a body
        te = (r.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            r.body = self._read_chunked(deadline)
        elif r.header("content-length") is not None:
            r.body = self._read_exactly(int(r.header("content-length")), deadline)
        else:
            r.body = self.read_all(max(0.1, deadline - time.monotonic()))
        return r

    def _read_chunked(self, deadline):
        body = b""
        while True:
            line = self._read_until(b"\r\n", deadline)
            if line is None:
                raise ConnectionClosed("connection closed inside a chunked body")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    trailer = self._read_until(b"\r\n", deadline)
                    if trailer in (None, b"\r\n"):
                        return body
            body += self._read_exactly(size, deadline)
            self._read_exactly(2, deadline)

    def responses(self, count, head=False, timeout=None):
        """Up to `count` responses; fewer when the connection closes."""
        out = []
        for _ in range(count):
            r = self.response(head=head, timeout=timeout)
            if r is None:
                break
            out.append(r)
        return out

    def closed_within(self, timeout):
        """True when pullgate closes the connection (EOF or reset) within
        `timeout` seconds; any bytes it sends meanwhile are kept in
        self.buffer."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                pass
        except TimeoutError:
            return False
        except OSError:
            return True
        return True

    def is_open(self, wait=0.3):
        """True when nothing shows the connection closed within `wait`."""
        return not self.closed_within(wait)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def reset(self):
        """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
        import struct
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            # No TLS close_notify: the socket goes away with an RST.
            fd = self.sock.detach()
            os.close(fd)
        except (OSError, ValueError, AttributeError):
            try:
                self.sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(address, port, *, source=None, timeout=DEFAULT_TIMEOUT):
    """A TCP connection to pullgate's listener, from `source` (an address
    on this host, e.g. "127.0.0.3") when given."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    try:
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Conn(sock, timeout)


def client_hello(server_hostname):
    """The bytes of a real TLS ClientHello naming `server_hostname`, for
    tests that send part of a handshake and stop."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(incoming, outgoing,
                                                server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def connect_request(authority, extra_headers=(), host_header=True):
    """The bytes of `CONNECT authority HTTP/1.1`."""
    lines = [f"CONNECT {authority} HTTP/1.1"]
    if host_header:
        lines.append(f"Host: {authority}")
    lines += list(extra_headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def client_context(cafile, *, check_hostname=True, alpn=None):
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = check_hostname
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


class TunnelRefused(AssertionError):
    def __init__(self, response, conn):
        super().__init__(f"CONNECT answered {response}")
        self.response, self.conn = response, conn


def tunnel(address, port, authority, *, cafile, sni="auto", alpn=None, source=None,
           extra_headers=(), timeout=DEFAULT_TIMEOUT, check_hostname=None):
    """CONNECT `authority` through pullgate at address:port, then TLS.

    `sni`: "auto" sends the CONNECT host (as Python would), None sends no
    server name, anything else is sent as given. The certificate is
    verified against `cafile` (pullgate's CA); the host name is checked
    when SNI is the CONNECT host, unless `check_hostname` says otherwise.
    Returns (Conn over TLS, the CONNECT response); raises TunnelRefused
    (with the response) when the CONNECT is not answered 200.
    """
    conn = connect(address, port, source=source, timeout=timeout)
    conn.send(connect_request(authority, extra_headers))
    answer = conn.response(head=True)
    if answer is None or answer.status != 200:
        if answer is not None and answer.header("content-length"):
            answer.body = conn._read_exactly(int(answer.header("content-length")),
                                             time.monotonic() + timeout)
        conn.close()
        raise TunnelRefused(answer, conn)
    host = authority.rsplit(":", 1)[0].strip("[]")
    server_name = host if sni == "auto" else sni
    if check_hostname is None:
        check_hostname = sni == "auto"
    context = client_context(cafile, check_hostname=check_hostname, alpn=alpn)
    if not check_hostname:
        context.verify_mode = ssl.CERT_REQUIRED
    pending = conn.buffer
    if pending:
        raise AssertionError(f"bytes after the CONNECT answer: {pending!r}")
    tls = context.wrap_socket(conn.sock, server_hostname=server_name,
                              do_handshake_on_connect=False)
    tls.settimeout(timeout)
    try:
        tls.do_handshake()
    except BaseException:
        tls.close()
        raise
    return Conn(tls, timeout), answer


def request_bytes(method, target, host, headers=(), body=b"", version="HTTP/1.1"):
    """A well-formed request: Host first, then `headers` (strings "K: v"),
    Content-Length when there is a body."""
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data + (body.encode("latin-1") if isinstance(body, str) else body)
