#!/usr/bin/env python3
"""Resource leaks (issue 4): after 10,000 hostile connections of mixed
kinds (closed at once, reset, garbage, half requests closed or reset,
oversized and smuggling headers, refused CONNECTs, CONNECTs abandoned
before, during and after the TLS handshake, a wrong SNI, denied and
allowed requests, upgrades), pullgate's file descriptors (/proc/PID/fd),
threads and resident memory are back where they were, within a small
tolerance, and it still serves. The numbers are printed."""

import concurrent.futures
import os
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import lab, net, raw, testing  # noqa: E402

HUB = lab.HUB
TOTAL, WORKERS = 10_000, 24


def measure(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return {"fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(status["Threads"]),
            "rss_kib": int(status["VmRSS"].split()[0])}


def _rst(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class HostileConnectionsLeakNoResources(lab.LabTestCase):
    # upstream_idle_timeout 1s: pooled upstream connections are closed
    # within the settle time, so every descriptor is accounted for.
    lab_options = {"limits": dict(lab.LIMITS, max_header_bytes="4KiB", upstream_idle_timeout="1s",
                                  max_connections_per_client=4096, max_connections=8192)}

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, start=False)
        the_lab.config["limits"] = cls.lab_options["limits"]
        the_lab.pullgate.start()
        cls.hello = raw.client_hello(HUB)
        return the_lab

    # -- the hostile kinds: each opens, misbehaves and ends one connection --
    def raw_sock(self):
        sock = socket.create_connection(self.lab.listen, timeout=5)
        return sock

    def read_some(self, sock):
        try:
            sock.settimeout(5)
            return sock.recv(65536)
        except OSError:
            return b""

    def kinds(self):
        listen, ca = self.lab.listen, self.lab.pullgate.ca_cert
        hello = self.hello
        big = b"GET http://x/ HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 5000 + b"\r\n\r\n"
        smuggle = (f"POST http://{HUB}/v2/ HTTP/1.1\r\nHost: {HUB}\r\nContent-Length: 4\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").encode()

        def closed_at_once():
            self.raw_sock().close()

        def reset_at_once():
            _rst(self.raw_sock())

        def garbage():
            s = self.raw_sock()
            s.sendall(os.urandom(200) + b"\r\n\r\n")
            self.read_some(s)
            s.close()

        def half_request_closed():
            s = self.raw_sock()
            s.sendall(b"GET http://registry-1.docker.io/v2/ HTTP/1.1\r\nHo")
            s.close()

        def half_request_reset():
            s = self.raw_sock()
            s.sendall(b"GET http://registry-1.docker.io/v2/ HT")
            _rst(s)

        def oversized():
            s = self.raw_sock()
            s.sendall(big)
            self.read_some(s)
            s.close()

        def smuggling():
            s = self.raw_sock()
            s.sendall(smuggle)
            self.read_some(s)
            s.close()

        def bad_port():
            s = self.raw_sock()
            s.sendall(raw.connect_request(f"{HUB}:22"))
            self.read_some(s)
            s.close()

        def egress():
            s = self.raw_sock()
            s.sendall(raw.connect_request("169.254.169.254:443"))
            self.read_some(s)
            s.close()

        def connect_then_close():
            s = self.raw_sock()
            s.sendall(raw.connect_request(f"{HUB}:443"))
            self.read_some(s)
            s.close()

        def connect_half_hello_reset():
            s = self.raw_sock()
            s.sendall(raw.connect_request(f"{HUB}:443"))
            self.read_some(s)
            s.sendall(hello[:60])
            _rst(s)

        def tls_denied_request():
            conn = raw.tunnel(*listen, f"{HUB}:443", cafile=ca, timeout=5)[0]
            conn.send(raw.request_bytes("GET", lab.manifest_path(lab.DENIED, "x"), HUB))
            conn.response()
            conn.reset()

        def tls_wrong_sni():
            try:
                raw.tunnel(*listen, f"{HUB}:443", cafile=ca, sni="other.test",
                           check_hostname=False, timeout=5)[0].close()
            except (ssl.SSLError, OSError):
                pass

        def plain_denied_keep_alive():
            s = self.raw_sock()
            s.sendall(raw.request_bytes("GET", f"http://{HUB}{lab.manifest_path(lab.DENIED, 'k')}",
                                        HUB))
            self.read_some(s)
            s.close()

        def plain_allowed():
            s = self.raw_sock()
            s.sendall(raw.request_bytes("GET", f"http://{HUB}/v2/", HUB))
            self.read_some(s)
            s.close()

        def upgrade():
            s = self.raw_sock()
            s.sendall(raw.request_bytes("GET", f"http://{HUB}/v2/", HUB,
                                        ["Upgrade: websocket", "Connection: Upgrade"]))
            self.read_some(s)
            _rst(s)

        return [closed_at_once, reset_at_once, garbage, half_request_closed, half_request_reset,
                oversized, smuggling, bad_port, egress, connect_then_close,
                connect_half_hello_reset, tls_denied_request, tls_wrong_sni,
                plain_denied_keep_alive, plain_allowed, upgrade]

    def storm(self, count):
        kinds = self.kinds()
        failures = []

        def one(i):
            try:
                kinds[i % len(kinds)]()
            except (OSError, ssl.SSLError, AssertionError) as e:
                failures.append(f"{kinds[i % len(kinds)].__name__}: {e}")

        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(one, range(count)))
        return failures

    def settle(self, pid, target_fds, timeout=30):
        """Wait until pullgate's descriptors stop shrinking (deadlines of
        abandoned connections are 2 s)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            now = measure(pid)["fds"]
            if now <= target_fds or now == last:
                if now <= target_fds:
                    return
            last = now
            time.sleep(0.5)

    def test_ten_thousand_hostile_connections_leak_no_descriptor_thread_or_memory(self):
        pid = self.lab.pullgate.process.pid
        # Warm up: first certificates minted, thread pools started, buffers
        # allocated; a leak is growth beyond this.
        self.storm(1600)
        self.settle(pid, 0, timeout=5)
        time.sleep(2.5)
        before = measure(pid)
        started = time.monotonic()
        failures = self.storm(TOTAL)
        elapsed = time.monotonic() - started
        time.sleep(2.5)   # every deadline (2 s) of an abandoned connection has passed
        self.settle(pid, before["fds"])
        after = measure(pid)
        print(f"\n  {TOTAL} hostile connections in {elapsed:.1f}s "
              f"({len(failures)} client-side errors)\n"
              f"  before: {before}\n  after:  {after}\n"
              f"  growth: fds {after['fds'] - before['fds']:+d}, "
              f"threads {after['threads'] - before['threads']:+d}, "
              f"RSS {after['rss_kib'] - before['rss_kib']:+d} KiB", file=sys.stderr)
        if failures:
            print("  e.g. " + "; ".join(failures[:5]), file=sys.stderr)
        self.assertTrue(self.lab.pullgate.process.running(), "pullgate died under the storm")
        self.assert_still_serving()
        self.assertLessEqual(after["fds"], before["fds"] + 4, "file descriptors leaked")
        self.assertLessEqual(after["threads"], before["threads"] + 2, "threads leaked")
        self.assertLess(after["rss_kib"] - before["rss_kib"], 20 * 1024, "memory grew")
        self.assertLess(len(failures), TOTAL // 100,
                        f"pullgate failed to answer {len(failures)} connections")


if __name__ == "__main__":
    testing.main()
