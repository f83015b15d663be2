#!/usr/bin/env python3
"""Egress destinations (issue 4): after resolution, pullgate connects to
no loopback, link-local (cloud metadata), private, shared, reserved,
multicast or unspecified address, whether it is named literally (IPv4,
IPv6, IPv4-mapped or NAT64 IPv6) or reached through a name that resolves
to it, for CONNECT and for plain HTTP: 403 and a record (rule egress).
Two settings open it on purpose: an upstream.resolve entry (the test
registries live on loopback that way) and upstream.allow_private_networks
(only for the networks it names). Naming a pinned address directly is
not the pinned name."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import lab, net, raw, testing  # noqa: E402

HUB = lab.HUB
SPECIAL = ["127.0.0.1", "127.255.255.254", "0.0.0.0", "10.0.0.1", "172.16.0.1", "172.31.255.1",
           "192.168.1.1", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.100.100.200",
           "192.0.0.1", "192.0.2.1", "198.18.0.1", "198.51.100.1", "203.0.113.1", "224.0.0.1",
           "239.255.255.250", "240.0.0.1", "255.255.255.255",
           "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "2001:db8::1",
           "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:a9fe:a9fe",
           "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "::127.0.0.1", "2002:7f00:1::1",
           "2002:a9fe:a9fe::1", "::ffff:0:7f00:1"]


def bracket(address):
    return f"[{address}]" if ":" in address else address


class EgressToPrivateAddressesIsRefused(lab.LabTestCase):

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, start=False)
        the_lab.config["upstream"]["connect_ports"] = [443, the_lab.hub.port]
        cls.trap = socket.create_server((net.loopback_address(), 0))
        cls.trap.settimeout(0.2)
        the_lab.pullgate.start()
        return the_lab

    @classmethod
    def tearDownClass(cls):
        cls.trap.close()
        super().tearDownClass()

    def test_special_purpose_addresses_are_refused_for_connect(self):
        for address in SPECIAL:
            with self.subTest(address=address):
                conn, response = self.lab.connect_answer(f"{bracket(address)}:443")
                self.addCleanup(conn.close)
                record = self.assert_refused(response, 403, conn, rule="egress")
                self.assertFalse(record.get("upstream"), "no upstream connection was made")

    def test_special_purpose_addresses_are_refused_for_plain_http(self):
        for address in SPECIAL:
            with self.subTest(address=address):
                host = bracket(address)
                conn, response = self.exchange(raw.request_bytes(
                    "GET", f"http://{host}/latest/meta-data/iam/", host))
                self.assert_refused(response, 403, conn, rule="egress")

    def test_names_that_resolve_to_loopback_are_refused(self):
        for name in ("localhost", "LOCALHOST", "localhost.", "LocalHost."):
            with self.subTest(name=name):
                conn, response = self.lab.connect_answer(f"{name}:443")
                self.addCleanup(conn.close)
                self.assert_refused(response, 403, conn, rule="egress")
                conn, response = self.exchange(raw.request_bytes("GET", f"http://{name}/", name))
                self.assert_refused(response, 403, conn, rule="egress")

    def test_the_pinned_address_named_directly_is_not_the_pinned_name(self):
        # upstream.resolve sends registry-1.docker.io:443 to the fake hub on
        # loopback; CONNECT to that loopback address itself is refused.
        conn, response = self.lab.connect_answer(f"{self.lab.hub.address}:{self.lab.hub.port}")
        self.addCleanup(conn.close)
        self.assert_refused(response, 403, conn, rule="egress")
        conn = self.open(HUB)
        conn.send(raw.request_bytes("GET", "/v2/", HUB))
        self.assertEqual(conn.response().status, 200, "the pinned name itself works")

    def test_allow_private_networks_opens_only_the_networks_it_names(self):
        config = dict(self.lab.config)
        config["upstream"] = dict(config["upstream"],
                                  allow_private_networks=[f"{self.lab.hub.address}/32"])
        address = net.loopback_address()
        config["listen"] = f"{address}:{net.free_port(address)}"
        config["admin"] = f"{address}:{net.free_port(address)}"
        config["audit_log"] = os.path.join(self.tmp, "audit.log")
        from harness import proxy
        other = proxy.Pullgate(self.tmp, config, name="pullgate-private").start()
        self.stop_later(other)
        hub = f"{self.lab.hub.address}:{self.lab.hub.port}"
        conn = raw.tunnel(*other.listen, hub, cafile=other.ca_cert, sni=None,
                          check_hostname=False)[0]
        self.addCleanup(conn.close)
        conn.send(raw.request_bytes("GET", "/v2/", hub))
        self.assertEqual(conn.response().status, 403, "reached, and RAM decides: not a registry")
        for address in ("127.0.0.1", "10.0.0.1", "169.254.169.254"):
            with self.subTest(address=address):
                c = raw.connect(*other.listen)
                self.addCleanup(c.close)
                c.send(raw.connect_request(f"{address}:443"))
                response = c.response(head=True)
                self.assertEqual(response.status, 403, response)
                record = other.wait_for_audit(lambda r: r["client"] == c.local)[-1]
                self.assertEqual(record["rule"], "egress")


if __name__ == "__main__":
    testing.main()
