#!/usr/bin/env python3
"""Hostile and broken upstreams (issue 4): an upstream that stalls gets
the client a 504 within limits.upstream_timeout; one that closes or
resets early, sends garbage, a bad status line, ambiguous framing (both
Content-Length and Transfer-Encoding, two lengths), a header larger than
any sane one, or a 101 gets a 502; one that cuts a body short makes
pullgate close the client connection (never a short body passed off as
complete); one that never speaks TLS gets a 504 on the CONNECT within
limits.handshake_timeout; a closed port and an expired, wrong-name,
self-signed or untrusted certificate get a 502 on the CONNECT. Each with
an audit record, on plain HTTP and inside a tunnel, and pullgate keeps
serving afterwards. Every case runs against its own pullgate, so one
crash cannot hide behind another."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, net, pki, proxy, raw, testing  # noqa: E402

HUB = lab.HUB
UPSTREAM_TIMEOUT, HANDSHAKE_TIMEOUT, SLACK = 3, 2, 1.5

# behaviour -> (status, upper bound of the wait in seconds)
RESPONSES = {
    "stall": (504, UPSTREAM_TIMEOUT + SLACK),
    "close": (502, SLACK),
    "reset": (502, SLACK),
    "garbage": (502, SLACK),
    "bad_status": (502, SLACK),
    "cl_te": (502, SLACK),
    "two_lengths": (502, SLACK),
    "huge_head": (502, SLACK),
    "switching": (502, SLACK),
}
CERTIFICATES = {"expired": "expired", "wrongname": "mismatch", "selfsigned": "self-signed",
                "untrusted": "not trusted"}


def host_of(behaviour):
    return behaviour.replace("_", "-") + ".test"


class BrokenUpstreamsGet502Or504WithinDeadlines(lab.LabTestCase):

    @classmethod
    def make_lab(cls):
        the_lab = lab.Lab(cls.shared_tmp, start=False)
        resolve = the_lab.config["upstream"]["resolve"]
        names = []
        for b in list(RESPONSES) + ["truncated", "silent"]:
            name = host_of(b)
            tls = hostile_upstream.Upstream(tls=the_lab.ca.issue(name), behaviour=b, name=b,
                                            stall_seconds=15)
            plain = hostile_upstream.Upstream(behaviour=b, name=b + "-plain", stall_seconds=15)
            cls.addClassCleanup(tls.stop)
            cls.addClassCleanup(plain.stop)
            resolve[f"{name}:443"] = tls.endpoint
            resolve[f"{name}:80"] = plain.endpoint
            names.append(name)
        stranger = pki.CertificateAuthority(os.path.join(cls.shared_tmp, "stranger"),
                                            name="a root nobody trusts")
        certs = {"expired": the_lab.ca.issue("expired.test", valid_from_days=-30,
                                             valid_to_days=-1),
                 "wrongname": the_lab.ca.issue("someone-else.test", file_stem="wrongname"),
                 "selfsigned": pki.self_signed(os.path.join(cls.shared_tmp, "self"),
                                               "selfsigned.test"),
                 "untrusted": stranger.issue("untrusted.test")}
        for key, cert in certs.items():
            u = hostile_upstream.Upstream(tls=cert, name=key)
            cls.addClassCleanup(u.stop)
            resolve[f"{key}.test:443"] = u.endpoint
            names.append(f"{key}.test")
        closed = net.loopback_address()
        resolve["closed.test:443"] = f"{closed}:{net.free_port(closed)}"
        names.append("closed.test")
        the_lab.config["policy"] = dict(lab.DEFAULT_POLICY,
                                        registries=["docker.io", "acme.test"] + names)
        return the_lab

    def setUp(self):
        super().setUp()
        config = dict(self.lab.config)
        address = net.loopback_address()
        config["listen"] = f"{address}:{net.free_port(address)}"
        config["admin"] = f"{address}:{net.free_port(address)}"
        config["audit_log"] = os.path.join(self.tmp, "audit.log")
        config["tls"] = {"ca_cert": os.path.join(self.tmp, "ca", "ca.crt"),
                         "ca_key": os.path.join(self.tmp, "ca", "ca.key")}
        self.pullgate = self.stop_later(proxy.Pullgate(self.tmp, config).start())

    def record_of(self, conn):
        return self.pullgate.wait_for_audit(lambda r: r["client"] == conn.local,
                                            what=f"the record of {conn.local}")[-1]

    def request(self, host, plain):
        if plain:
            conn = raw.connect(*self.pullgate.listen)
            conn.send(raw.request_bytes("GET", f"http://{host}/v2/acme/app/manifests/1", host))
        else:
            conn = raw.tunnel(*self.pullgate.listen, f"{host}:443",
                              cafile=self.pullgate.ca_cert)[0]
            conn.send(raw.request_bytes("GET", "/v2/acme/app/manifests/1", host))
        self.addCleanup(conn.close)
        return conn

    def assert_still_up(self):
        self.assertTrue(self.pullgate.process.running(),
                        f"pullgate died (exit {self.pullgate.process.returncode()}): "
                        f"{self.pullgate.process.stderr_text()[-600:]}")
        conn = raw.tunnel(*self.pullgate.listen, f"{HUB}:443", cafile=self.pullgate.ca_cert)[0]
        self.addCleanup(conn.close)
        conn.send(raw.request_bytes("GET", "/v2/", HUB))
        self.assertEqual(conn.response().status, 200)

    def check_response_failure(self, behaviour, plain):
        status, bound = RESPONSES[behaviour]
        started = time.monotonic()
        conn = self.request(host_of(behaviour), plain)
        response = conn.response(timeout=bound + 5)
        elapsed = time.monotonic() - started
        time.sleep(0.3)
        self.assert_still_up()
        self.assertIsNotNone(response, "closed without an answer")
        self.assertEqual(response.status, status, response)
        self.assertTrue(response.reason.startswith("pullgate: "), response.reason)
        self.assertIn(host_of(behaviour), response.reason)
        self.assertLess(elapsed, bound)
        record = self.record_of(conn)
        self.assertEqual(record["status"], status, record)
        self.assertTrue(record.get("error"), "the record says what went wrong")

    # One test per behaviour and transport: each gets its own pullgate.
    for _b in RESPONSES:
        for _plain in (False, True):
            def _test(self, b=_b, plain=_plain):
                self.check_response_failure(b, plain)
            _test.__name__ = (f"test_an_upstream_that_answers_{_b}_gets_{RESPONSES[_b][0]}_"
                              f"{'in_plain_http' if _plain else 'in_a_tunnel'}")
            locals()[_test.__name__] = _test
    del _b, _plain, _test

    def test_a_body_cut_short_closes_the_client_connection_and_is_recorded(self):
        for plain in (False, True):
            with self.subTest(plain_http=plain):
                conn = self.request(host_of("truncated"), plain)
                with self.assertRaises(raw.ConnectionClosed):
                    conn.response(timeout=UPSTREAM_TIMEOUT + 5)
                record = self.record_of(conn)
                self.assertEqual((record["status"], record["bytes"]), (200, 1000))
                self.assertIn("interrupted", record["error"])
        self.assert_still_up()

    def test_an_upstream_that_never_speaks_tls_gets_504_on_the_connect(self):
        started = time.monotonic()
        with self.assertRaises(raw.TunnelRefused) as refused:
            raw.tunnel(*self.pullgate.listen, "silent.test:443", cafile=self.pullgate.ca_cert)
        self.assertLess(time.monotonic() - started, HANDSHAKE_TIMEOUT + SLACK)
        self.assertEqual(refused.exception.response.status, 504)
        record = self.record_of(refused.exception.conn)
        self.assertEqual((record["kind"], record["rule"], record["status"]),
                         ("connect", "upstream", 504))
        self.assert_still_up()

    def test_bad_certificates_and_closed_ports_get_502_on_the_connect(self):
        for host, reason in list(CERTIFICATES.items()) + [("closed", "cannot connect")]:
            with self.subTest(host=host):
                started = time.monotonic()
                with self.assertRaises(raw.TunnelRefused) as refused:
                    raw.tunnel(*self.pullgate.listen, f"{host}.test:443",
                               cafile=self.pullgate.ca_cert)
                response = refused.exception.response
                self.assertLess(time.monotonic() - started, SLACK + 1)
                self.assertEqual(response.status, 502, response)
                self.assertIn(f"{host}.test", response.reason)
                self.assertIn(reason, response.reason)
                record = self.record_of(refused.exception.conn)
                self.assertEqual((record["kind"], record["rule"], record["decision"],
                                  record["status"]), ("connect", "upstream", "deny", 502))
        self.assert_still_up()


if __name__ == "__main__":
    testing.main()
