#!/usr/bin/env python3
"""Plain-HTTP absolute-form requests (`GET http://host/path` to the proxy)
get the same rules as the same request inside an intercepted HTTPS tunnel
(issue 4): the same status, rule, decision and kind for every request of
a table that covers allowed and denied images, every endpoint, token
requests, non-canonical paths and other hosts; and what is denied is
never forwarded. Plain HTTP also has refusals of its own: https:// URLs,
origin-form and authority-form targets, a Host header that disagrees with
the URL, user information, and ports that are not allowed."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
DIGEST = hostile_upstream.blob_digest("x")

# (method, host, path or path template with {m} for a marker)
TABLE = [
    ("GET", HUB, "/v2/"),
    ("GET", HUB, lab.manifest_path(lab.ALLOWED, "{m}")),
    ("HEAD", HUB, lab.manifest_path(lab.ALLOWED, "{m}")),
    ("GET", HUB, lab.manifest_path(lab.DENIED, "{m}")),
    ("HEAD", HUB, lab.manifest_path(lab.DENIED, "{m}")),
    ("GET", HUB, f"/v2/{lab.DENIED}/manifests/{DIGEST}?m={{m}}"),
    ("GET", HUB, f"/v2/{lab.DENIED}/blobs/{DIGEST}?m={{m}}"),
    ("GET", HUB, f"/v2/{lab.DENIED}/tags/list?m={{m}}"),
    ("GET", HUB, f"/v2/{lab.DENIED}/referrers/{DIGEST}?m={{m}}"),
    ("POST", HUB, f"/v2/{lab.ALLOWED}/blobs/uploads/?mount={DIGEST}&from={lab.DENIED}&m={{m}}"),
    ("DELETE", HUB, lab.manifest_path(lab.DENIED, "{m}")),
    ("GET", HUB, "/v2/randomuser%2ftool/manifests/{m}"),
    ("GET", HUB, "/v2/library/alpine/../../randomuser/tool/manifests/{m}"),
    ("GET", HUB, "/V2/randomuser/tool/manifests/{m}"),
    ("GET", HUB, "/v2/_catalog?m={m}"),
    ("GET", "auth.docker.io", "/token?service=registry.docker.io&scope=repository:"
                              f"{lab.DENIED}:pull&m={{m}}"),
    ("GET", "auth.docker.io", f"/token?scope=repository:{lab.ALLOWED}:pull&"
                              f"scope=repository:{lab.DENIED}:pull&m={{m}}"),
    ("GET", "auth.docker.io", f"/token?scope=repository:{lab.ALLOWED}:pull&m={{m}}"),
    ("GET", "other.test", lab.manifest_path(lab.ALLOWED, "{m}")),
    ("GET", "other.test", "/index.html?m={m}"),
    ("GET", "acme.test", "/v2/denied/app/manifests/{m}"),
    ("GET", "acme.test", "/v2/fine/app/manifests/{m}"),
    ("GET", HUB, "/v2/library/alpine/manifests/{m}", ["Upgrade: websocket", "Connection: Upgrade"]),
]


class PlainHttpGetsTheSameRulesAsHttps(lab.LabTestCase):

    def run_both(self, method, host, path, headers=()):
        outcomes = {}
        for plain in (False, True):
            marker = hostile_upstream.random_marker()
            target = path.replace("{m}", marker)
            conn = self.open() if plain else self.open(host)
            conn.send(raw.request_bytes(method, f"http://{host}{target}" if plain else target,
                                        host, headers, b"" if method != "POST" else b""))
            response = conn.response(head=method == "HEAD")
            self.assertIsNotNone(response)
            record = self.lab.wait_records(conn, 1)[-1]
            if record["decision"] == "deny":
                self.assert_not_forwarded(marker)
            outcomes[plain] = (response.status, record["decision"], record["rule"],
                               record["kind"], record["registry"])
        return outcomes

    def test_every_request_gets_the_same_decision_in_plain_http_as_in_a_tunnel(self):
        for entry in TABLE:
            method, host, path = entry[:3]
            headers = entry[3] if len(entry) > 3 else ()
            with self.subTest(request=f"{method} {host}{path}"):
                outcomes = self.run_both(method, host, path, headers)
                self.assertEqual(outcomes[True], outcomes[False],
                                 "plain HTTP (first) decided otherwise than HTTPS (second)")

    def test_an_https_url_in_plain_http_is_refused(self):
        marker = hostile_upstream.random_marker()
        conn, response = self.exchange(raw.request_bytes(
            "GET", f"https://{HUB}{lab.manifest_path(lab.ALLOWED, marker)}", HUB))
        self.assert_refused(response, 400, conn, rule="request.invalid")
        self.assert_not_forwarded(marker)

    def test_origin_form_and_authority_form_requests_to_the_proxy_are_refused(self):
        for target in (lab.manifest_path(lab.ALLOWED, "{m}"), f"{HUB}:80", f"{HUB}", "*",
                       f"//{HUB}{lab.manifest_path(lab.ALLOWED, '{m}')}",
                       f"ftp://{HUB}/{{m}}", f"http:/{HUB}/{{m}}", f"http:{HUB}/{{m}}"):
            with self.subTest(target=target):
                marker = hostile_upstream.random_marker()
                conn, response = self.exchange(raw.request_bytes(
                    "GET", target.replace("{m}", marker), HUB))
                self.assert_refused(response, 400, conn, rule="request.invalid")
                self.assert_not_forwarded(marker)

    def test_a_host_header_that_disagrees_with_the_url_is_refused(self):
        for host in ("other.test", f"{HUB}:8080", "auth.docker.io", "127.0.0.1"):
            with self.subTest(host=host):
                marker = hostile_upstream.random_marker()
                conn, response = self.exchange(raw.request_bytes(
                    "GET", f"http://{HUB}{lab.manifest_path(lab.ALLOWED, marker)}", host))
                self.assert_refused(response, 400, conn, rule="request.invalid")
                self.assert_not_forwarded(marker)

    def test_user_information_and_fragments_in_the_url_are_refused(self):
        for url in (f"http://user:pw@{HUB}/v2/", f"http://{HUB}@other.test/v2/",
                    f"http://{HUB}\\@other.test/v2/", f"http://{HUB}#@other.test/v2/",
                    f"http://{HUB}/v2/#frag"):
            with self.subTest(url=url):
                conn, response = self.exchange(raw.request_bytes("GET", url, HUB))
                self.assert_refused(response, 400, conn, rule="request.invalid")

    def test_a_port_that_is_not_allowed_is_refused(self):
        for port in (22, 25, 443, 3306, 6379, 8080):
            with self.subTest(port=port):
                conn, response = self.exchange(raw.request_bytes(
                    "GET", f"http://{HUB}:{port}/v2/", f"{HUB}:{port}"))
                # HUB:port is not the registry docker.io: its /v2/ request is
                # refused by RAM before the port is even looked at.
                self.assert_refused(response, 403, conn,
                                    rule=("upstream.connect_ports", "registries"))

    def test_proxy_headers_are_not_forwarded(self):
        conn, response = self.exchange(raw.request_bytes(
            "GET", f"http://{HUB}{lab.manifest_path(lab.ALLOWED, 'hdr')}", HUB,
            ["Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Connection: keep-alive"]))
        self.assertEqual(response.status, 200)
        forwarded = self.lab.plain.requests_matching("/manifests/hdr")[-1]
        names = {k.lower() for k, _ in forwarded.headers}
        self.assertNotIn("proxy-authorization", names)
        self.assertNotIn("proxy-connection", names)


if __name__ == "__main__":
    testing.main()
