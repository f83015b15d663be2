#!/usr/bin/env python3
"""Pipelining: several requests in one write, on plain HTTP and inside a
tunnel, are each decided and logged, answered in order, and a denied one
is never forwarded (the upstream is a witness). A malformed request in
the middle ends the connection: what follows it is neither answered nor
forwarded (issue 4, "pipelined requests in one write").
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB


def target(path, absolute, host=HUB):
    return f"http://{host}{path}" if absolute else path


class PipelinedRequestsAreEachDecidedAndLogged(lab.LabTestCase):

    def pipeline(self, absolute, steps):
        """Write every request of `steps` [(method, path, host)] at once;
        return (conn, responses)."""
        data = b"".join(raw.request_bytes(m, target(p, absolute, h), h) for m, p, h in steps)
        conn = self.open(None if absolute else HUB)
        conn.send(data)
        responses = []
        for method, _, _ in steps:
            r = conn.response(head=method == "HEAD")
            if r is None:
                break
            responses.append(r)
        return conn, responses

    def test_allowed_and_denied_requests_in_one_write_are_each_decided_in_order(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                m1, m2 = hostile_upstream.random_marker(), hostile_upstream.random_marker()
                steps = [("GET", lab.manifest_path(lab.ALLOWED, "a1"), HUB),
                         ("GET", lab.manifest_path(lab.DENIED, m1), HUB),
                         ("HEAD", lab.manifest_path(lab.ALLOWED, "a2"), HUB),
                         ("GET", f"/v2/{lab.DENIED}/blobs/{hostile_upstream.blob_digest(m2)}",
                          HUB),
                         ("GET", lab.manifest_path(lab.ALLOWED, "a3"), HUB)]
                conn, responses = self.pipeline(absolute, steps)
                self.assertEqual([r.status for r in responses], [200, 403, 200, 403, 200])
                self.assertIn("randomuser/tool", responses[1].reason)
                records = self.lab.wait_records(conn, len(steps))
                self.assertEqual([(r["method"], r["reference"], r["decision"]) for r in records],
                                 [("GET", "a1", "allow"), ("GET", m1, "deny"),
                                  ("HEAD", "a2", "allow"),
                                  ("GET", hostile_upstream.blob_digest(m2), "deny"),
                                  ("GET", "a3", "allow")])
                self.assert_not_forwarded(m1)
                self.assert_not_forwarded(hostile_upstream.blob_digest(m2))
                upstream = self.lab.plain if absolute else self.lab.hub
                for tag in ("a1", "a2", "a3"):
                    self.assertTrue(upstream.requests_matching(f"/manifests/{tag}"))

    def test_fifty_pipelined_requests_get_fifty_answers_and_fifty_records(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                markers = [hostile_upstream.random_marker() for _ in range(50)]
                steps = [("GET", lab.manifest_path(lab.DENIED if i % 2 else lab.ALLOWED, m), HUB)
                         for i, m in enumerate(markers)]
                conn, responses = self.pipeline(absolute, steps)
                self.assertEqual([r.status for r in responses],
                                 [403 if i % 2 else 200 for i in range(50)])
                records = self.lab.wait_records(conn, 50)
                self.assertEqual([r["reference"] for r in records], markers)
                self.lab.settle(0.2)
                seen = b"".join(self.lab.hub.received() + self.lab.plain.received())
                self.assertEqual([m for i, m in enumerate(markers) if i % 2 and m.encode() in seen],
                                 [], "denied requests reached the upstream")

    def test_a_plain_http_pipeline_across_hosts_is_decided_per_host(self):
        marker = hostile_upstream.random_marker()
        steps = [("GET", lab.manifest_path(lab.ALLOWED, "1"), HUB),
                 ("GET", lab.manifest_path(lab.ALLOWED, marker), "other.test"),
                 ("GET", "/v2/denied/app/manifests/" + marker, "acme.test"),
                 ("GET", lab.manifest_path(lab.ALLOWED, "2"), HUB)]
        conn, responses = self.pipeline(True, steps)
        self.assertEqual([r.status for r in responses], [200, 403, 403, 200])
        records = self.lab.wait_records(conn, 4)
        self.assertEqual([r["rule"] for r in records],
                         ["docker_hub.official", "registries", "acme-denied",
                          "docker_hub.official"])
        self.assert_not_forwarded(marker)

    def test_a_malformed_request_in_a_pipeline_ends_it_and_nothing_after_it_is_forwarded(self):
        for absolute in (False, True):
            with self.subTest(plain_http=absolute):
                marker = hostile_upstream.random_marker()
                good = raw.request_bytes("GET", target(lab.manifest_path(lab.ALLOWED, "1"),
                                                       absolute), HUB)
                bad = (f"GET {target(lab.manifest_path(lab.ALLOWED, '2'), absolute)} HTTP/1.1\r\n"
                       f"Host: {HUB}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").encode()
                after = raw.request_bytes("GET", target(lab.manifest_path(lab.ALLOWED, marker),
                                                        absolute), HUB)
                conn = self.open(None if absolute else HUB)
                conn.send(good + bad + after)
                self.assertEqual(conn.response().status, 200)
                self.assertEqual(conn.response().status, 400)
                self.assertIsNone(conn.response(timeout=3), "nothing after the malformed request")
                records = self.lab.wait_records(conn, 2)
                self.assertEqual([r["rule"] for r in records],
                                 ["docker_hub.official", "request.invalid"])
                self.lab.settle(0.3)
                self.assertEqual(len(self.lab.records(conn)), 2)
                self.assert_not_forwarded(marker)


if __name__ == "__main__":
    testing.main()
