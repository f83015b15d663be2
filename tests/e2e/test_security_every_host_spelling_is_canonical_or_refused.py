#!/usr/bin/env python3
"""Host spellings: every spelling of a host maps to one canonical name or
is refused (issue 4). Case and a trailing dot are the same host; a port
is written one way; IP literals are strict (no 0x7f.1, 2130706433,
017.0.0.1 or 127.1, which resolvers would accept); an IPv4-mapped IPv6
literal is its IPv4 address; a raw non-ASCII name is refused and its
punycode form is just another host; and a listed registry reached by its
IP address is NOT that registry (RAM denies it). Both for CONNECT and for
plain-HTTP absolute-form URLs."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
LOOKALIKES = ["xn--dcker-kva.io", "docker.io.other.test", "registry-1.docker.io.other.test",
              "docker-io.test", "registry-1-docker.io"]


class EveryHostSpellingIsCanonicalOrRefused(lab.LabTestCase):

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, extra_names=LOOKALIKES, start=False)
        # The fake Docker Hub's own address and port may be reached
        # directly, so that "a registry by IP" is refused by RAM, not by
        # the egress or port rules.
        the_lab.config["upstream"]["allow_private_networks"] = [f"{the_lab.hub.address}/32"]
        the_lab.config["upstream"]["connect_ports"] = [443, the_lab.hub.port]
        the_lab.pullgate.start()
        return the_lab

    def tunnel_get(self, authority, path, host_header=None, sni="auto"):
        conn = raw.tunnel(*self.lab.listen, authority, cafile=self.lab.pullgate.ca_cert,
                          sni=sni, check_hostname=False)[0]
        self.addCleanup(conn.close)
        host = host_header or authority
        conn.send(raw.request_bytes("GET", path, host))
        return conn, conn.response()

    def test_case_and_a_trailing_dot_name_the_same_registry_for_connect(self):
        for spelling in (HUB.upper(), HUB + ".", "Registry-1.Docker.Io.", HUB):
            with self.subTest(spelling=spelling):
                marker = hostile_upstream.random_marker()
                conn, response = self.tunnel_get(f"{spelling}:443",
                                                 lab.manifest_path(lab.DENIED, marker))
                self.assertEqual(response.status, 403, response)
                record = self.lab.wait_records(conn, 1)[-1]
                self.assertEqual((record["host"], record["registry"], record["rule"]),
                                 (HUB, "docker.io", "docker_hub.community"))
                self.assert_not_forwarded(marker)
                conn, response = self.tunnel_get(f"{spelling}:443",
                                                 lab.manifest_path(lab.ALLOWED, "1"))
                self.assertEqual(response.status, 200, response)

    def test_case_trailing_dot_and_default_port_name_the_same_registry_in_plain_http(self):
        for spelling in (HUB.upper(), HUB + ".", f"{HUB}:80", f"{HUB.upper()}.:80"):
            with self.subTest(spelling=spelling):
                marker = hostile_upstream.random_marker()
                conn = self.open()
                conn.send(raw.request_bytes(
                    "GET", f"http://{spelling}{lab.manifest_path(lab.DENIED, marker)}", spelling))
                self.assertEqual(conn.response().status, 403)
                record = self.lab.wait_records(conn, 1)[-1]
                self.assertEqual((record["host"], record["registry"], record["rule"]),
                                 (HUB, "docker.io", "docker_hub.community"))
                self.assert_not_forwarded(marker)

    def test_malformed_authorities_are_refused_on_the_connect(self):
        bad = [f"{HUB}", f"{HUB}:", f"{HUB}:0443", f"{HUB}:+443", f"{HUB}:443:443", f"{HUB}:0",
               f"{HUB}:65536", f"{HUB}:4 43", f"{HUB}..:443", f".{HUB}:443", f"user@{HUB}:443",
               f"user:pw@{HUB}:443", f"{HUB}%2e:443", f"{HUB}\\:443", "_srv.docker.io:443",
               "-bad.test:443", "bad-.test:443", ("a" * 64) + ".test:443",
               ".".join(["a" * 60] * 5) + ":443", "::1:443", "[::1:443", "[::1]443",
               "[fe80::1%25eth0]:443", "[fe80::1%eth0]:443", "[v1.fe80::1]:443", ":443",
               "*.docker.io:443", "docker.io/x:443"]
        for authority in bad:
            with self.subTest(authority=authority):
                conn, response = self.lab.connect_answer(authority)
                self.addCleanup(conn.close)
                self.assert_refused(response, 400, conn, rule="request.invalid")

    def test_non_decimal_and_short_ipv4_forms_are_refused_not_resolved(self):
        # What inet_aton() would read as 127.0.0.1 (or the fake hub).
        a, b, c, d = (int(x) for x in self.lab.hub.address.split("."))
        forms = ["0x7f.1", "0x7f000001", "2130706433", "017700000001", "017.0.0.1", "0177.0.0.1",
                 "127.1", "127.0.1", "127.000.000.001", "0x7f.0.0.1", "0X7F.0.0.1",
                 f"{a}.{b}.{c * 256 + d}", f"{(a << 24) | (b << 16) | (c << 8) | d}",
                 f"0{a:o}.{b}.{c}.{d}", f"{hex(a)}.{b}.{c}.{d}", "1.2.3.4.5", "256.1.1.1",
                 "1.2.3.-4", "1.2.3"]
        for host in forms:
            for plain in (False, True):
                with self.subTest(host=host, plain_http=plain):
                    marker = hostile_upstream.random_marker()
                    if plain:
                        conn = self.open()
                        conn.send(raw.request_bytes(
                            "GET", f"http://{host}{lab.manifest_path(lab.ALLOWED, marker)}", host))
                        response = conn.response()
                    else:
                        conn, response = self.lab.connect_answer(f"{host}:443")
                        self.addCleanup(conn.close)
                    self.assert_refused(response, 400, conn, rule="request.invalid")
                    self.assert_not_forwarded(marker)

    def test_raw_non_ascii_names_are_refused(self):
        for host in ("dockér.io", "docker\u3002io", "ｄocker.io", "docker.io\u200b",
                     "registry-1.docker.i\u043e"):
            for plain in (False, True):
                with self.subTest(host=host, plain_http=plain):
                    encoded = host.encode("utf-8")
                    if plain:
                        data = (b"GET http://" + encoded + b"/v2/ HTTP/1.1\r\nHost: " + encoded +
                                b"\r\n\r\n")
                    else:
                        data = b"CONNECT " + encoded + b":443 HTTP/1.1\r\nHost: " + encoded + \
                               b":443\r\n\r\n"
                    conn = self.open()
                    conn.send(data)
                    self.assert_refused(conn.response(head=not plain), 400, conn,
                                        rule="request.invalid")

    def test_lookalike_and_punycode_names_are_other_hosts_not_docker_hub(self):
        for host in LOOKALIKES:
            with self.subTest(host=host):
                marker = hostile_upstream.random_marker()
                conn, response = self.tunnel_get(f"{host}:443",
                                                 lab.manifest_path(lab.ALLOWED, marker))
                self.assert_refused(response, 403, conn, rule="registries")
                record = self.lab.records(conn)[-1]
                self.assertEqual(record["registry"], host)
                self.assertNotEqual(record["registry"], "docker.io")
                self.assert_not_forwarded(marker)

    def test_a_listed_registry_reached_by_its_ip_address_is_not_that_registry(self):
        address, port = self.lab.hub.address, self.lab.hub.port
        for authority, host in ((f"{address}:{port}", address),
                                (f"[::ffff:{address}]:{port}", address),
                                (f"[0:0:0:0:0:ffff:{address}]:{port}", address)):
            with self.subTest(authority=authority):
                marker = hostile_upstream.random_marker()
                conn, response = self.tunnel_get(authority, lab.manifest_path(lab.ALLOWED, marker),
                                                 host_header=f"{address}:{port}", sni=None)
                self.assert_refused(response, 403, conn, rule="registries")
                record = self.lab.records(conn)[-1]
                self.assertEqual((record["host"], record["registry"]),
                                 (address, f"{address}:{port}"))
                self.assert_not_forwarded(marker)

    def test_an_ipv4_mapped_ipv6_literal_is_its_ipv4_address(self):
        # Refused or allowed exactly like the IPv4 form: here both name a
        # loopback address no rule allows, so both are egress refusals.
        for authority in ("[::ffff:127.0.0.1]:443", "[::ffff:7f00:1]:443", "127.0.0.1:443"):
            with self.subTest(authority=authority):
                conn, response = self.lab.connect_answer(authority)
                self.addCleanup(conn.close)
                record = self.assert_refused(response, 403, conn, rule="egress")
                self.assertEqual(record["host"], "127.0.0.1")


if __name__ == "__main__":
    testing.main()
