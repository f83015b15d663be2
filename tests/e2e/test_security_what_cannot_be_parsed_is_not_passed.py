#!/usr/bin/env python3
"""What pullgate cannot parse it does not pass (issue 4): HTTP/2 offered
over ALPN is negotiated down to HTTP/1.1 (curl --http2 still works), a
client that offers only h2 gets no ALPN and its HTTP/2 preface is refused
and logged; non-HTTP bytes inside an intercepted tunnel or on the proxy
port, protocol upgrades (WebSocket, h2c, TLS) and CONNECT inside a tunnel
are refused and logged, and none of it reaches the upstream."""

import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000")
NOT_HTTP = {
    "tls_client_hello_inside_tls": bytes.fromhex("16030100a5010000a10303") + os.urandom(32)
    + b"\r\n\r\n",
    "ssh_banner": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "binary_garbage": b"\x00\x01\x02\xff\xfe\r\n\r\n",
    "http_0_9": b"GET /v2/\r\n\r\n",
    "request_line_without_version": b"GET /v2/library/alpine/manifests/1\r\nHost: x\r\n\r\n",
    "unknown_version": b"GET /v2/ HTTP/1.2\r\nHost: " + HUB.encode() + b"\r\n\r\n",
    "http_3_version": b"GET /v2/ HTTP/3\r\nHost: " + HUB.encode() + b"\r\n\r\n",
    "smtp": b"EHLO pullgate.test\r\nMAIL FROM:<a@b>\r\n\r\n",
    "json": b'{"op":"pull","image":"randomuser/tool"}\r\n\r\n',
    "method_with_control_byte": b"GE\x01T /v2/ HTTP/1.1\r\nHost: " + HUB.encode() + b"\r\n\r\n",
    "utf8_in_target": "GET /v2/randomuser/tool/manifests/ü HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
}
UPGRADES = [["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==",
             "Sec-WebSocket-Version: 13"],
            ["Upgrade: h2c", "Connection: Upgrade, HTTP2-Settings", "HTTP2-Settings: AAMAAABk"],
            ["Upgrade: TLS/1.2", "Connection: Upgrade"],
            ["Upgrade: websocket"],
            ["upgrade: WebSocket", "connection: keep-alive, upgrade"]]


class WhatCannotBeParsedIsNotPassed(lab.LabTestCase):

    def tls_with_alpn(self, alpn):
        conn = raw.tunnel(*self.lab.listen, f"{HUB}:443", cafile=self.lab.pullgate.ca_cert,
                          alpn=alpn)[0]
        self.addCleanup(conn.close)
        return conn

    def test_curl_http2_through_pullgate_negotiates_http_1_1_and_pulls(self):
        testing.require_tools("curl")
        result = clients.curl(f"https://{HUB}{lab.manifest_path(lab.ALLOWED, 'h2')}",
                              workdir=os.path.join(self.tmp, "curl"),
                              proxy=self.lab.pullgate.proxy_url,
                              cacert=self.lab.pullgate.ca_cert, extra=["--http2", "-v"])
        self.assertEqual((result.exit_code, result.status), (0, 200), result)
        self.assertIn("ALPN: server accepted http/1.1", result.stderr)
        self.assertEqual(result.transfers[0]["http_version"], "1.1")

    def test_alpn_selects_http_1_1_or_nothing(self):
        for offered, selected in ((["h2", "http/1.1"], "http/1.1"), (["http/1.1"], "http/1.1"),
                                  (["h2"], None), (["h3", "spdy/3.1"], None)):
            with self.subTest(offered=offered):
                conn = self.tls_with_alpn(offered)
                self.assertEqual(conn.sock.selected_alpn_protocol(), selected)

    def test_an_http2_preface_inside_a_tunnel_is_refused_and_logged(self):
        for alpn in (["h2"], None):
            with self.subTest(alpn=alpn):
                conn = self.tls_with_alpn(alpn)
                conn.send(PREFACE)
                response = conn.response()
                self.assertIsNotNone(response)
                self.assertIn(response.status, (400, 505), response)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual((record["rule"], record["decision"], record["status"]),
                                 ("request.invalid", "deny", response.status))
                self.assertTrue(conn.closed_within(3))

    def test_an_http2_preface_on_the_proxy_port_is_refused_and_logged(self):
        conn, response = self.exchange(PREFACE)
        self.assertIn(response.status, (400, 505), response)
        self.assertEqual(self.lab.wait_records(conn)[-1]["rule"], "request.invalid")

    def test_non_http_bytes_are_refused_and_logged_inside_a_tunnel_and_on_the_proxy_port(self):
        for tunnel in (True, False):
            for name, data in NOT_HTTP.items():
                with self.subTest(bytes=name, tunnel=tunnel):
                    before = len(self.lab.hub.received())
                    conn = self.open(HUB if tunnel else None)
                    conn.send(data)
                    response = conn.response(timeout=8)
                    self.assertIsNotNone(response, "closed without an answer")
                    self.assertIn(response.status, (400, 505), response)
                    self.assertTrue(response.reason.startswith("pullgate: "))
                    record = self.lab.wait_records(conn)[-1]
                    self.assertEqual((record["rule"], record["decision"], record["status"]),
                                     ("request.invalid", "deny", response.status))
                    self.assertTrue(conn.closed_within(3))
                    self.lab.settle(0.1)
                    self.assertEqual(self.lab.hub.received()[before:],
                                     [b""] * (len(self.lab.hub.received()) - before),
                                     "nothing reached the upstream")

    def test_upgrade_requests_are_refused_and_never_forwarded(self):
        for tunnel in (True, False):
            for headers in UPGRADES:
                with self.subTest(upgrade=headers[0], tunnel=tunnel):
                    marker = hostile_upstream.random_marker()
                    path = lab.manifest_path(lab.ALLOWED, marker)
                    conn = self.open(HUB if tunnel else None)
                    conn.send(raw.request_bytes("GET", path if tunnel else f"http://{HUB}{path}",
                                                HUB, headers))
                    self.assert_refused(conn.response(), 400, conn, rule="request.invalid")
                    self.assert_not_forwarded(marker)

    def test_a_connect_inside_a_tunnel_is_refused_and_logged(self):
        conn = self.open(HUB)
        conn.send(raw.connect_request("other.test:443"))
        record = self.assert_refused(conn.response(head=True), 400, conn,
                                     rule="request.invalid", closes=True)
        self.assertEqual(record["method"], "CONNECT")

    def test_tls_inside_the_intercepted_tls_is_not_passed(self):
        # A client that starts a second TLS handshake inside the tunnel
        # (TLS-in-TLS, as a blind tunnel would carry it) is refused.
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        inner = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname=HUB)
        with self.assertRaises(ssl.SSLWantReadError):
            inner.do_handshake()
        hello = outgoing.read()
        self.assertEqual(hello[:1], b"\x16", "a TLS handshake record")
        conn = self.open(HUB)
        conn.send(hello)
        response = conn.response(timeout=8)
        self.assertIsNotNone(response, "closed without an answer")
        self.assertIn(response.status, (400, 408, 431), response)
        self.assertIn(self.lab.wait_records(conn)[-1]["rule"],
                      ("request.invalid", "limits.header_timeout"))
        self.assertTrue(conn.closed_within(3))


if __name__ == "__main__":
    testing.main()
