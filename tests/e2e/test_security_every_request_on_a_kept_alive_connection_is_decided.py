#!/usr/bin/env python3
"""Keep-alive reuse: every request on a connection is classified and
decided on its own, whatever came before it on that connection (SPEC
"What is checked", issue 4). An allowed request never opens the door for
the next one, on plain HTTP and inside a tunnel; a denied request with a
body closes the connection, so its unread body can never be taken for a
request; a plain-HTTP connection that switches hosts is decided per host.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB


def target(path, absolute, host=HUB):
    return f"http://{host}{path}" if absolute else path


class EveryRequestOnAKeptAliveConnectionIsDecided(lab.LabTestCase):

    def conn(self, absolute):
        return self.open(None if absolute else HUB)

    def ask(self, conn, method, path, absolute, host=HUB, headers=(), body=b""):
        conn.send(raw.request_bytes(method, target(path, absolute, host), host, headers, body))
        return conn.response(head=method == "HEAD")

    def test_allowed_denied_allowed_on_one_connection_each_get_their_own_decision(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                conn = self.conn(absolute)
                marker = hostile_upstream.random_marker()
                sequence = [
                    ("GET", lab.manifest_path(lab.ALLOWED, "1"), 200),
                    ("GET", lab.manifest_path(lab.DENIED, marker), 403),
                    ("HEAD", lab.manifest_path(lab.ALLOWED, "2"), 200),
                    ("HEAD", lab.manifest_path(lab.DENIED, marker), 403),
                    ("GET", f"/v2/{lab.DENIED}/blobs/{hostile_upstream.blob_digest(marker)}", 403),
                    ("GET", f"/v2/{lab.DENIED}/tags/list?m={marker}", 403),
                    ("GET", "/v2/", 200),
                ]
                for method, path, status in sequence:
                    response = self.ask(conn, method, path, absolute)
                    self.assertIsNotNone(response, f"connection closed before {method} {path}")
                    self.assertEqual(response.status, status, (method, path, response))
                records = self.lab.wait_records(conn, len(sequence))
                self.assertEqual([r["status"] for r in records], [s for _, _, s in sequence])
                self.assertEqual([r["decision"] for r in records],
                                 ["allow" if s == 200 else "deny" for _, _, s in sequence])
                self.assertEqual({r["rule"] for r in records if r["decision"] == "deny"},
                                 {"docker_hub.community"})
                self.assert_not_forwarded(marker)

    def test_a_denied_request_first_does_not_poison_the_connection(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                conn = self.conn(absolute)
                self.assertEqual(self.ask(conn, "GET", lab.manifest_path(lab.DENIED, "1"),
                                          absolute).status, 403)
                self.assertEqual(self.ask(conn, "GET", lab.manifest_path(lab.ALLOWED, "1"),
                                          absolute).status, 200)

    def test_http_1_0_keep_alive_is_decided_per_request_too(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                marker = hostile_upstream.random_marker()
                conn = self.conn(absolute)
                for path, status in [(lab.manifest_path(lab.ALLOWED, "1"), 200),
                                     (lab.manifest_path(lab.DENIED, marker), 403)]:
                    conn.send(raw.request_bytes("GET", target(path, absolute), HUB,
                                                ["Connection: keep-alive"], version="HTTP/1.0"))
                    response = conn.response()
                    if response is None:
                        break   # pullgate may close an HTTP/1.0 connection: also safe
                    self.assertEqual(response.status, status)
                self.assert_not_forwarded(marker)
                self.assertFalse([r for r in self.lab.records(conn)
                                  if r.get("reference") == marker and r["decision"] == "allow"])

    def test_the_unread_body_of_a_denied_request_is_never_read_as_a_request(self):
        # A denied PUT whose body is a complete request for another denied
        # image: pullgate does not read a refused request's body, so it
        # must close the connection rather than parse the body as the
        # next request.
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                marker = hostile_upstream.random_marker()
                hidden = raw.request_bytes("GET", target(lab.manifest_path(lab.ALLOWED, marker),
                                                         absolute), HUB)
                conn = self.conn(absolute)
                response = self.ask(conn, "PUT", lab.manifest_path(lab.DENIED, "1"), absolute,
                                    headers=["Content-Type: application/json"], body=hidden)
                self.assert_refused(response, 403, conn, rule="docker_hub.community")
                self.assertTrue(conn.closed_within(3))
                self.lab.settle(0.3)
                self.assertEqual(len(self.lab.records(conn)), 1, self.lab.records(conn))
                self.assert_not_forwarded(marker)

    def test_a_denied_request_with_expect_100_continue_gets_no_100_and_no_body_is_read(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                conn = self.conn(absolute)
                conn.send(raw.request_bytes("PUT", target(lab.manifest_path(lab.DENIED, "1"),
                                                          absolute), HUB,
                                            ["Expect: 100-continue", "Content-Length: 10"]))
                response = conn.response()
                self.assertEqual(response.status, 403, "a final answer, not 100 Continue")
                self.assertEqual(self.lab.wait_records(conn, 1)[-1]["status"], 403)

    def test_a_plain_http_connection_that_switches_hosts_is_decided_per_host(self):
        conn = self.open()
        steps = [(HUB, lab.manifest_path(lab.ALLOWED, "1"), 200, "docker_hub.official"),
                 ("other.test", lab.manifest_path(lab.ALLOWED, "1"), 403, "registries"),
                 (HUB, lab.manifest_path(lab.ALLOWED, "2"), 200, "docker_hub.official"),
                 ("acme.test", "/v2/denied/app/manifests/1", 403, "acme-denied"),
                 ("acme.test", "/v2/fine/app/manifests/1", 200, "default")]
        for host, path, status, _ in steps:
            response = self.ask(conn, "GET", path, True, host=host)
            self.assertIsNotNone(response, f"connection closed before {host}{path}")
            self.assertEqual(response.status, status, (host, path, response))
        records = self.lab.wait_records(conn, len(steps))
        self.assertEqual([(r["host"], r["rule"], r["status"]) for r in records],
                         [(h, rule, s) for h, _, s, rule in steps])


if __name__ == "__main__":
    testing.main()
