#!/usr/bin/env python3
"""Thousands of connections that never finish a TLS handshake (issue 4):
2,000 connections from 20 client addresses, a third of them silent after
TCP, a third silent after a CONNECT answered 200, a third stuck halfway
through a TLS ClientHello, are held open while a real client (skopeo)
pulls a real image (docker-registry) through pullgate. The pull completes
promptly, pullgate stays up, every stuck connection is closed by its
deadline (limits.header_timeout / limits.handshake_timeout) and the
descriptors come back."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import image, net, proxy, raw, testing, world  # noqa: E402

HUB = world.HUB
STUCK, SOURCES = 2000, 20
DEADLINE = 8          # header and handshake timeouts, seconds


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class UnfinishedTlsHandshakesDoNotStarveTheProxy(testing.SharedWorldTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("skopeo", "docker-registry", "openssl")
        cls.world = world.World(cls.shared_tmp)
        cls.addClassCleanup(cls.world.stop)
        cls.alpine = image.make_image(os.path.join(cls.shared_tmp, "alpine"), tag="3.19",
                                      layer_size=2_000_000)
        image.push_direct(cls.alpine, cls.world.hub, "library/alpine",
                          cert_dir=cls.world.public_cert_dir, workdir=cls.shared_tmp)

    def setUp(self):
        super().setUp()
        self.pullgate = self.stop_later(self.world.start_pullgate(
            self.tmp, limits={"connect_timeout": "5s", "handshake_timeout": f"{DEADLINE}s",
                              "header_timeout": f"{DEADLINE}s", "idle_timeout": "5s",
                              "upstream_timeout": "30s", "drain": "5s"}))

    def pull(self, name):
        started = time.monotonic()
        out = os.path.join(self.tmp, name)
        image.skopeo_copy("docker://docker.io/library/alpine:3.19", f"oci:{out}:3.19",
                          workdir=self.tmp, proxy_url=self.pullgate.proxy_url,
                          src_cert_dir=self.pullgate.cert_dir(), timeout=60)
        self.assertEqual(image.read_layout_top(out)[1], self.alpine.digest)
        return time.monotonic() - started

    def open_stuck(self):
        held = []
        hello = raw.client_hello(HUB)
        address, port = self.pullgate.listen
        for i in range(STUCK):
            source = f"127.0.{100 + i % SOURCES}.{1 + (i // SOURCES) % 200}"
            sock = socket.socket()
            sock.bind((source, 0))
            sock.settimeout(10)
            sock.connect((address, port))
            kind = i % 3
            if kind:
                sock.sendall(raw.connect_request(f"{HUB}:443"))
            held.append((kind, sock))
        # Read the CONNECT answers, then send half a ClientHello on kind 2.
        for kind, sock in held:
            if kind:
                answer = b""
                while b"\r\n\r\n" not in answer:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
                if kind == 2:
                    sock.sendall(hello[:len(hello) // 2])
        return held

    def test_a_pull_completes_promptly_while_thousands_of_handshakes_hang(self):
        baseline_pull = self.pull("before")
        pid = self.pullgate.process.pid
        fds_before = fd_count(pid)
        opened = time.monotonic()
        held = self.open_stuck()
        self.addCleanup(lambda: [s.close() for _, s in held])
        fds_during = fd_count(pid)
        pull_time = self.pull("during")
        print(f"  pull: {baseline_pull:.2f}s alone, {pull_time:.2f}s with {STUCK} stuck "
              f"connections; pullgate fds {fds_before} -> {fds_during}", file=sys.stderr)
        self.assertTrue(self.pullgate.process.running())
        self.assertLess(pull_time, max(10.0, 4 * baseline_pull))
        self.assertGreater(fds_during, fds_before + STUCK // 2, "the connections were held")

        # Every stuck connection is closed by pullgate at its deadline.
        deadline = opened + DEADLINE + 15
        still_open = 0
        for _, sock in held:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                while sock.recv(65536):
                    pass
            except socket.timeout:
                still_open += 1
            except OSError:
                pass
        self.assertEqual(still_open, 0, f"{still_open} stuck connections outlived the deadline")
        for _, sock in held:
            sock.close()
        net.wait_until(lambda: fd_count(pid) <= fds_before + 5, 15,
                       f"pullgate's descriptors back near {fds_before}")
        records = self.pullgate.audit_records()
        stuck_records = [r for r in records if r["client"].startswith("127.0.1")]
        print(f"  {len(stuck_records)} records for the stuck connections", file=sys.stderr)
        self.assertGreaterEqual(len(stuck_records), STUCK * 2 // 3,
                                "the TLS tunnels that never finished are recorded")
        self.assertEqual(self.pull("after") > 0, True)


if __name__ == "__main__":
    testing.main()
