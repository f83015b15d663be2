#!/usr/bin/env python3
"""Egress ports (issue 4): a CONNECT may name only the ports the
configuration allows: 443, the ports in upstream.connect_ports, and a
listed registry's own port (`registries: [acme.test:5000]`) for that
registry. Anything else (SSH, SMTP, databases, port 80, 8443, 65535) is
refused with 403 and a record (rule upstream.connect_ports) before any
upstream connection is made; a port that is not a port is a 400. Plain
HTTP requests follow the same idea: port 80 and listed registries'
ports only."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import lab, net, raw, testing  # noqa: E402

HUB = lab.HUB


class ConnectIsLimitedToAllowedPorts(lab.LabTestCase):

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, start=False)
        # A listener that counts connections: a refused CONNECT must not
        # even open a TCP connection to it.
        cls.trap = socket.create_server((net.loopback_address(), 0))
        cls.trap.settimeout(0.2)
        trap = "{}:{}".format(*cls.trap.getsockname())
        the_lab.config["upstream"]["resolve"].update({
            "other.test:22": trap, "other.test:25": trap, "other.test:5000": trap,
            "other.test:8443": trap, "acme.test:5000": the_lab.hub.endpoint,
            "other.test:9443": the_lab.hub.endpoint,
            "registry-1.docker.io:22": trap, "registry-1.docker.io:8080": trap})
        the_lab.config["upstream"]["connect_ports"] = [443, 9443]
        the_lab.config["policy"]["registries"] = ["docker.io", "acme.test:5000"]
        the_lab.pullgate.start()
        return the_lab

    @classmethod
    def tearDownClass(cls):
        cls.trap.close()
        super().tearDownClass()

    def trapped(self):
        count = 0
        while True:
            try:
                s, _ = self.trap.accept()
                s.close()
                count += 1
            except (socket.timeout, OSError):
                return count

    def test_ports_that_are_not_allowed_are_refused_before_any_connection(self):
        self.trapped()
        for authority in ("other.test:22", "other.test:25", "other.test:8443", f"{HUB}:22",
                          f"{HUB}:80", f"{HUB}:8080", f"{HUB}:3306", f"{HUB}:6379",
                          f"{HUB}:65535", f"{HUB}:1", "127.0.0.1:22", "[::1]:25"):
            with self.subTest(authority=authority):
                conn, response = self.lab.connect_answer(authority)
                self.addCleanup(conn.close)
                record = self.assert_refused(response, 403, conn, rule="upstream.connect_ports")
                self.assertEqual((record["method"], record["kind"]), ("CONNECT", "connect"))
                self.assertFalse(record.get("upstream"), "no upstream connection was made")
        self.assertEqual(self.trapped(), 0, "a refused CONNECT opened a connection")

    def test_a_port_that_is_not_a_port_is_malformed(self):
        for port in ("0", "65536", "99999", "-1", "0x1bb", "443.0", "", "4 43"):
            with self.subTest(port=port):
                conn, response = self.lab.connect_answer(f"{HUB}:{port}")
                self.addCleanup(conn.close)
                self.assert_refused(response, 400, conn, rule="request.invalid")

    def test_443_and_configured_connect_ports_are_allowed(self):
        for host, port in ((HUB, 443), ("other.test", 9443)):
            with self.subTest(port=port):
                conn = self.open(host, port=port)
                conn.send(raw.request_bytes("GET", "/v2/", f"{host}:{port}"))
                self.assertIsNotNone(conn.response())

    def test_a_listed_registrys_port_is_allowed_for_that_registry(self):
        conn = self.open("acme.test", port=5000)
        conn.send(raw.request_bytes("GET", "/v2/fine/app/manifests/1", "acme.test:5000"))
        self.assertEqual(conn.response().status, 200)
        record = self.lab.wait_records(conn)[-1]
        self.assertEqual((record["registry"], record["rule"]), ("acme.test:5000", "default"))

    def test_a_listed_registrys_port_is_not_opened_to_every_other_host(self):
        # registries: [acme.test:5000] allows acme.test its port; it must
        # not turn 5000 into a port any host may be reached on.
        self.trapped()
        conn, response = self.lab.connect_answer("other.test:5000")
        self.addCleanup(conn.close)
        self.assert_refused(response, 403, conn, rule="upstream.connect_ports")
        self.assertEqual(self.trapped(), 0)

    def test_plain_http_to_a_port_that_is_not_allowed_is_refused(self):
        self.trapped()
        for url, host in ((f"http://{HUB}:22/", f"{HUB}:22"), (f"http://{HUB}:8080/v2/",
                                                              f"{HUB}:8080"),
                          ("http://other.test:25/", "other.test:25"),
                          ("http://other.test:443/", "other.test:443")):
            with self.subTest(url=url):
                conn, response = self.exchange(raw.request_bytes("GET", url, host))
                # A /v2/ request there is refused by RAM before the port is
                # looked at; either way nothing is connected to.
                rule = ("upstream.connect_ports", "registries") if "/v2/" in url else \
                    "upstream.connect_ports"
                self.assert_refused(response, 403, conn, rule=rule)
        self.assertEqual(self.trapped(), 0)


if __name__ == "__main__":
    testing.main()
