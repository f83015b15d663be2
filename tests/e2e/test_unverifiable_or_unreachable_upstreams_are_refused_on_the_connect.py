#!/usr/bin/env python3
"""pullgate verifies the upstream (chain and host name) before it answers a
CONNECT. An upstream it cannot verify or reach gets the client a 502 on the
CONNECT itself, with a reason phrase and body that name the host, never a
200 and a certificate; and the refusal is in the audit log (issue 2, SPEC
"What is checked")."""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, net, pki, proxy, testing, world  # noqa: E402
from harness.registry import Registry  # noqa: E402

# host -> what the reason phrase must say about it
BAD_UPSTREAMS = {
    "untrusted.test": "not trusted",      # issued by a root pullgate does not trust
    "expired.test": "expired",
    "wrongname.test": "mismatch",         # a trusted certificate for another name
    "selfsigned.test": "self-signed",
    "closed.test": "cannot connect",      # nothing listens there
}
HANDSHAKE_TIMEOUT = 2


class UnverifiableUpstreamsAreRefusedOnTheConnect(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("curl", "docker-registry", "openssl")
        tmp = cls.shared_tmp
        public = pki.CertificateAuthority(os.path.join(tmp, "public-ca"))
        stranger = pki.CertificateAuthority(os.path.join(tmp, "stranger-ca"),
                                            name="a root nobody trusts")
        certificates = {
            "good.test": public.issue("good.test"),
            "untrusted.test": stranger.issue("untrusted.test"),
            "expired.test": public.issue("expired.test", valid_from_days=-30, valid_to_days=-1),
            "wrongname.test": public.issue("someone-else.test", file_stem="wrongname"),
            "selfsigned.test": pki.self_signed(os.path.join(tmp, "self-signed"),
                                               "selfsigned.test"),
        }
        resolve = {}
        for host, cert in certificates.items():
            registry = Registry(tmp, tls=cert, ca_file=public.cert_path,
                                name=host.split(".")[0]).start()
            cls.addClassCleanup(registry.stop)
            resolve[f"{host}:443"] = registry.endpoint
        closed = net.loopback_address()
        resolve["closed.test:443"] = f"{closed}:{net.free_port(closed)}"
        # Accepts TCP (the kernel completes the handshake) and never says a
        # word: pullgate's upstream TLS handshake must time out.
        cls.silent = socket.create_server((net.loopback_address(), 0))
        cls.addClassCleanup(cls.silent.close)
        resolve["silent.test:443"] = "{}:{}".format(*cls.silent.getsockname())
        # Every host is an approved registry: what refuses the bad ones
        # must be the upstream check, not the policy.
        config = world.pullgate_config(
            tmp, ca_file=public.cert_path, resolve=resolve,
            policy={"registries": ["good.test", "silent.test", *BAD_UPSTREAMS]},
            limits={"connect_timeout": "5s", "handshake_timeout": f"{HANDSHAKE_TIMEOUT}s"})
        cls.pullgate = proxy.Pullgate(tmp, config).start()
        cls.addClassCleanup(cls.pullgate.stop)

    def setUp(self):
        super().setUp()
        self.watch(self.pullgate.process)

    def curl(self, host):
        return clients.curl(f"https://{host}/v2/", workdir=os.path.join(self.tmp, "curl"),
                            proxy=self.pullgate.proxy_url, cacert=self.pullgate.ca_cert)

    def test_a_verifiable_upstream_is_tunnelled_so_the_refusals_below_mean_something(self):
        result = self.curl("good.test")
        self.assertEqual((result.exit_code, result.connect_status, result.status), (0, 200, 200),
                         result)

    def test_each_bad_upstream_gets_a_502_that_names_the_host_and_the_reason(self):
        for host, reason in BAD_UPSTREAMS.items():
            with self.subTest(host=host):
                result = self.curl(host)
                self.assertEqual(result.connect_status, 502, result)
                self.assertEqual(result.exit_code, 56, "curl: CONNECT tunnel failed")
                self.assertIn("502", result.stderr)
                lines = result.status_lines()
                self.assertEqual(len(lines), 1, f"one answer, the CONNECT's, never a 200: {lines}")
                phrase = lines[0].split(" ", 2)[2]
                self.assertTrue(phrase.startswith("pullgate: "), phrase)
                self.assertIn(host, phrase)
                self.assertIn(reason, phrase)
                self.assertEqual(result.body, b"", "curl never reads a failed CONNECT's body")

    def test_the_502_body_names_the_host_too(self):
        # curl hides a refused CONNECT's body; read it off the socket.
        for host in BAD_UPSTREAMS:
            with self.subTest(host=host):
                response = clients.raw_connect(*self.pullgate.listen, host, 443)
                self.assertEqual(response.status, 502, response)
                self.assertEqual(response.headers.get("content-type"), "application/json")
                error = json.loads(response.body)["errors"][0]
                self.assertIn(host, error["message"])
                self.assertEqual(error["message"], response.reason,
                                 "the body's message is the reason phrase")

    def test_an_upstream_that_never_answers_the_tls_handshake_gets_a_504_in_bounded_time(self):
        started = time.monotonic()
        result = self.curl("silent.test")
        elapsed = time.monotonic() - started
        self.assertEqual(result.connect_status, 504, result)
        phrase = result.status_lines()[0].split(" ", 2)[2]
        self.assertIn("silent.test", phrase)
        self.assertIn("timed out", phrase)
        self.assertLess(elapsed, HANDSHAKE_TIMEOUT + 5, "limits.handshake_timeout bounds it")
        record = self.pullgate.wait_for_audit(lambda r: r.get("host") == "silent.test",
                                              what="the timed-out CONNECT's record")[-1]
        self.assertEqual((record["decision"], record["status"]), ("deny", 504))

    def test_every_refusal_is_logged_as_a_denied_connect(self):
        for host in BAD_UPSTREAMS:
            self.curl(host)
        for host in BAD_UPSTREAMS:
            with self.subTest(host=host):
                record = self.pullgate.wait_for_audit(
                    lambda r, h=host: r.get("host") == h and r.get("kind") == "connect",
                    what=f"the CONNECT record for {host}")[-1]
                self.assertEqual(proxy.audit_shape_problems(record), [])
                self.assertEqual((record["method"], record["decision"], record["status"]),
                                 ("CONNECT", "deny", 502))
        self.assertFalse([r for r in self.pullgate.audit_records()
                          if r.get("host") in BAD_UPSTREAMS and r.get("status") == 200],
                         "no request may reach a bad upstream")


if __name__ == "__main__":
    testing.main()
