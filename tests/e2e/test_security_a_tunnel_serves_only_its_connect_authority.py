#!/usr/bin/env python3
"""One authority per tunnel: the CONNECT authority decides. A TLS server
name (SNI) that names another host is refused at the handshake (audit
rule tunnel.sni); inside the tunnel a Host header naming another host or
port, an absolute-form target (for any host), an authority-form or
asterisk-form target, and a CONNECT are refused with 400 and a record,
and never forwarded (issue 4, "One authority per tunnel")."""

import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB


class ATunnelServesOnlyItsConnectAuthority(lab.LabTestCase):

    def handshake(self, sni, authority=f"{HUB}:443"):
        """CONNECT, then a TLS handshake offering `sni`; returns (Conn or
        None, the TCP connection's "address:port", error text)."""
        try:
            conn = raw.tunnel(*self.lab.listen, authority, cafile=self.lab.pullgate.ca_cert,
                              sni=sni, check_hostname=False)[0]
        except (ssl.SSLError, OSError) as e:
            return None, None, str(e)
        self.addCleanup(conn.close)
        return conn, conn.local, ""

    def test_an_sni_naming_another_host_is_refused_and_logged(self):
        for sni in ("other.test", "auth.docker.io", "docker.io", "registry-1.docker.io.other.test",
                    "evil.example"):
            with self.subTest(sni=sni):
                tcp = self.lab.connect()
                self.addCleanup(tcp.close)
                tcp.send(raw.connect_request(f"{HUB}:443"))
                self.assertEqual(tcp.response(head=True).status, 200)
                context = raw.client_context(self.lab.pullgate.ca_cert, check_hostname=False)
                tls = context.wrap_socket(tcp.sock, server_hostname=sni,
                                          do_handshake_on_connect=False)
                tls.settimeout(5)
                with self.assertRaises(ssl.SSLError) as caught:
                    tls.do_handshake()
                self.assertIn("UNRECOGNIZED_NAME", str(caught.exception).upper())
                record = self.lab.wait_records(tcp, 1)[-1]
                self.assertEqual((record["method"], record["kind"], record["rule"],
                                  record["decision"], record["host"]),
                                 ("CONNECT", "connect", "tunnel.sni", "deny", HUB), record)
                self.assertIn(sni, record.get("error") or record.get("reason"))

    def test_an_sni_that_spells_the_connect_host_differently_or_is_absent_is_accepted(self):
        for sni in (HUB, HUB.upper(), HUB + ".", None):
            with self.subTest(sni=sni):
                conn, _, error = self.handshake(sni)
                self.assertIsNotNone(conn, error)
                conn.send(raw.request_bytes("GET", "/v2/", HUB))
                self.assertEqual(conn.response().status, 200)

    def test_the_certificate_presented_names_the_connect_host(self):
        conn, _, error = self.handshake(HUB)
        der = conn.sock.getpeercert()
        names = [v for k, v in der.get("subjectAltName", ()) if k == "DNS"]
        self.assertEqual(names, [HUB])

    def test_a_host_header_naming_another_authority_is_refused(self):
        for host in ("other.test", "auth.docker.io", "docker.io", f"{HUB}:8443", f"{HUB}:80",
                     "127.0.0.1", f"[::1]:443", f"user@{HUB}", f"{HUB}:0443", f"{HUB}.."):
            with self.subTest(host=host):
                marker = hostile_upstream.random_marker()
                conn = self.open(HUB)
                conn.send(raw.request_bytes("GET", lab.manifest_path(lab.ALLOWED, marker), host))
                self.assert_refused(conn.response(), 400, conn, rule="request.invalid",
                                    closes=True)
                self.assert_not_forwarded(marker)

    def test_a_host_header_that_spells_the_connect_authority_differently_is_accepted(self):
        for host in (HUB.upper(), HUB + ".", f"{HUB}:443", f"{HUB.upper()}.:443"):
            with self.subTest(host=host):
                conn = self.open(HUB)
                conn.send(raw.request_bytes("GET", lab.manifest_path(lab.ALLOWED, "1"), host))
                self.assertEqual(conn.response().status, 200)
                record = self.lab.wait_records(conn, 1)[-1]
                self.assertEqual((record["host"], record["registry"]), (HUB, "docker.io"))

    def test_absolute_authority_and_asterisk_forms_inside_a_tunnel_are_refused(self):
        for form in (f"https://{HUB}{lab.manifest_path(lab.ALLOWED, '{m}')}",
                     f"http://{HUB}{lab.manifest_path(lab.ALLOWED, '{m}')}",
                     f"https://other.test{lab.manifest_path(lab.ALLOWED, '{m}')}",
                     f"http://other.test:443{lab.manifest_path(lab.ALLOWED, '{m}')}",
                     "other.test:443", f"{HUB}:443", "*"):
            with self.subTest(target=form):
                marker = hostile_upstream.random_marker()
                target = form.replace("{m}", marker)
                conn = self.open(HUB)
                method = "OPTIONS" if target == "*" else "GET"
                conn.send(f"{method} {target} HTTP/1.1\r\nHost: {HUB}\r\n\r\n".encode())
                self.assert_refused(conn.response(), 400, conn, rule="request.invalid",
                                    closes=True)
                self.assert_not_forwarded(marker)

    def test_a_connect_inside_a_tunnel_is_refused(self):
        for authority in ("other.test:443", f"{HUB}:443", "127.0.0.1:22"):
            with self.subTest(authority=authority):
                conn = self.open(HUB)
                conn.send(raw.connect_request(authority))
                response = conn.response(head=True)
                self.assert_refused(response, 400, conn, rule="request.invalid", closes=True)
                record = self.lab.records(conn)[-1]
                self.assertEqual(record["method"], "CONNECT")
                self.assertFalse([r for r in self.lab.hub.requests if r.method == "CONNECT"])

    def test_a_tunnel_to_an_unlisted_host_cannot_reach_a_listed_registry_by_host_header(self):
        marker = hostile_upstream.random_marker()
        conn = self.open("other.test")
        conn.send(raw.request_bytes("GET", lab.manifest_path(lab.ALLOWED, marker), HUB))
        self.assert_refused(conn.response(), 400, conn, rule="request.invalid")
        conn = self.open("other.test")
        conn.send(raw.request_bytes("GET", lab.manifest_path(lab.ALLOWED, marker), "other.test"))
        self.assert_refused(conn.response(), 403, conn, rule="registries")
        self.assert_not_forwarded(marker)


if __name__ == "__main__":
    testing.main()
