#!/usr/bin/env python3
"""Everything that reaches an image is decided (issue 4): for a denied
repository, manifests by tag and by digest (GET and HEAD), blobs by
digest (content addressing does not make a denied repository's blob
allowed), tag lists, referrers, pushes and deletes, upload sessions,
cross-repository mounts that read a denied repository (`?mount=&from=`),
and token requests whose scopes name it, whichever way the scopes are
written (several `scope` parameters, one space-separated field, a POST
form, query and form together). Each gets 403 with the deciding rule, a
record that names the denied repository, and never reaches the upstream.
The catalog of an unlisted registry is denied; a listed registry's
catalog is decided and logged."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
A, D = lab.ALLOWED, lab.DENIED
DIGEST = hostile_upstream.blob_digest("image")


def endpoints(repo, m):
    """(method, path) of every endpoint that reads or writes `repo`,
    each carrying marker `m` where the grammar lets it."""
    return [
        ("GET", f"/v2/{repo}/manifests/{m}"),
        ("HEAD", f"/v2/{repo}/manifests/{m}"),
        ("GET", f"/v2/{repo}/manifests/{DIGEST}?m={m}"),
        ("HEAD", f"/v2/{repo}/manifests/{DIGEST}?m={m}"),
        ("GET", f"/v2/{repo}/blobs/{DIGEST}?m={m}"),
        ("HEAD", f"/v2/{repo}/blobs/{DIGEST}?m={m}"),
        ("GET", f"/v2/{repo}/tags/list?m={m}"),
        ("GET", f"/v2/{repo}/tags/list?n=10&last={m}"),
        ("GET", f"/v2/{repo}/referrers/{DIGEST}?m={m}"),
        ("GET", f"/v2/{repo}/referrers/{DIGEST}?artifactType=x&m={m}"),
        ("PUT", f"/v2/{repo}/manifests/{m}"),
        ("DELETE", f"/v2/{repo}/manifests/{DIGEST}?m={m}"),
        ("DELETE", f"/v2/{repo}/blobs/{DIGEST}?m={m}"),
        ("POST", f"/v2/{repo}/blobs/uploads/?m={m}"),
        ("POST", f"/v2/{repo}/blobs/uploads/?digest={DIGEST}&m={m}"),
        ("GET", f"/v2/{repo}/blobs/uploads/{m}"),
        ("PATCH", f"/v2/{repo}/blobs/uploads/{m}"),
        ("PUT", f"/v2/{repo}/blobs/uploads/{m}?digest={DIGEST}"),
        ("DELETE", f"/v2/{repo}/blobs/uploads/{m}"),
    ]


class EverythingThatReachesAnImageIsDecided(lab.LabTestCase):

    def send(self, method, path, host=HUB, headers=(), body=b""):
        conn = self.open(host)
        if method in ("PUT", "PATCH", "POST") and not body:
            headers = list(headers) + ["Content-Length: 0"]
        conn.send(raw.request_bytes(method, path, host, headers, body))
        return conn, conn.response(head=method == "HEAD")

    def assert_denied_for(self, conn, response, marker, repo=D, rule="docker_hub.community"):
        record = self.assert_refused(response, 403, conn, rule=rule)
        self.assertIn(repo, json.dumps(record),
                      "the audit record must name the repository that was denied")
        if response.body:
            self.assertIn(repo, json.loads(response.body)["errors"][0]["message"])
        self.assert_not_forwarded(marker)
        return record

    def test_every_endpoint_of_a_denied_repository_is_denied(self):
        for method, template in endpoints(D, "{m}"):
            with self.subTest(request=f"{method} {template}"):
                marker = hostile_upstream.random_marker()
                conn, response = self.send(method, template.replace("{m}", marker))
                record = self.assert_denied_for(conn, response, marker)
                self.assertEqual(record["repository"], D)

    def test_every_endpoint_of_an_allowed_repository_is_forwarded(self):
        # Control for the test above: the same shapes on library/alpine.
        for method, template in endpoints(A, "{m}"):
            with self.subTest(request=f"{method} {template}"):
                marker = hostile_upstream.random_marker()
                conn, response = self.send(method, template.replace("{m}", marker))
                self.assertLess(response.status, 300, response)
                self.assertTrue(self.lab.hub.saw(marker))

    def test_a_rule_denial_covers_every_endpoint_too(self):
        for method, template in endpoints("denied/app", "{m}"):
            with self.subTest(request=f"{method} {template}"):
                marker = hostile_upstream.random_marker()
                conn, response = self.send(method, template.replace("{m}", marker),
                                           host="acme.test")
                self.assert_denied_for(conn, response, marker, repo="denied/app",
                                       rule="acme-denied")

    def test_a_blob_is_decided_by_its_repository_not_its_digest(self):
        # The digest was just fetched through an allowed repository; the
        # same digest through the denied one is still denied.
        conn, response = self.send("GET", f"/v2/{A}/blobs/{DIGEST}")
        self.assertEqual(response.status, 200)
        marker = hostile_upstream.random_marker()
        conn, response = self.send("GET", f"/v2/{D}/blobs/{DIGEST}?m={marker}")
        self.assert_denied_for(conn, response, marker)

    def test_a_cross_repository_mount_from_a_denied_repository_is_denied(self):
        for query in (f"mount={DIGEST}&from={D}", f"from={D}&mount={DIGEST}",
                      f"mount={DIGEST}&from=randomuser%2Ftool", f"mount={DIGEST}&fro%6D={D}",
                      f"mount={DIGEST}&from={D}&from={A}", f"mount={DIGEST}&from={A}&from={D}",
                      f"from={D}", f"mount={DIGEST}&from=docker.io/{D}",
                      f"mount={DIGEST}&from={D}&digest={DIGEST}"):
            with self.subTest(query=query):
                marker = hostile_upstream.random_marker()
                conn, response = self.send("POST", f"/v2/{A}/blobs/uploads/?{query}&m={marker}")
                self.assertIn(response.status, (400, 403), response)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual(record["decision"], "deny")
                if response.status == 403:
                    self.assertIn("randomuser/tool", json.dumps(record),
                                  "the record must name the repository the mount reads")
                self.assert_not_forwarded(marker)

    def test_a_mount_from_an_allowed_repository_is_forwarded(self):
        marker = hostile_upstream.random_marker()
        conn, response = self.send("POST", f"/v2/{A}/blobs/uploads/?mount={DIGEST}&"
                                           f"from=library/busybox&m={marker}")
        self.assertEqual(response.status, 202)
        self.assertTrue(self.lab.hub.saw(marker))

    def test_a_token_request_is_denied_when_any_scope_names_a_denied_repository(self):
        s_a, s_d = f"repository:{A}:pull", f"repository:{D}:pull"
        queries = [f"scope={s_d}", f"scope={s_a}&scope={s_d}", f"scope={s_d}&scope={s_a}",
                   f"scope={s_a}%20{s_d}", f"scope={s_a}+{s_d}", f"scope={s_a}&scope=+{s_d}",
                   f"scope=repository%3Arandomuser%2Ftool%3Apull",
                   f"scope=repository:{D}:pull,push", f"scope=repository:{D}:*",
                   f"scope=repository(plugin):{D}:pull",
                   f"scope=registry:catalog:*&scope={s_d}",
                   f"scope=repository:docker.io/{D}:pull"]
        for query in queries:
            with self.subTest(query=query):
                marker = hostile_upstream.random_marker()
                conn, response = self.send("GET", f"/token?service=registry.docker.io&{query}"
                                                  f"&m={marker}", host="auth.docker.io")
                record = self.assert_denied_for(conn, response, marker)
                self.assertEqual(record["kind"], "token")

    def test_a_token_post_form_is_decided_by_the_scopes_in_its_body_and_query(self):
        form = "application/x-www-form-urlencoded"
        cases = [("/token", f"grant_type=password&service=registry.docker.io&scope="
                            f"repository:{D}:pull&client_id=x"),
                 ("/token", f"scope=repository:{A}:pull%20repository:{D}:pull&grant_type=x"),
                 (f"/token?scope=repository:{D}:pull", f"scope=repository:{A}:pull"),
                 (f"/token?scope=repository:{A}:pull", f"scope=repository:{D}:pull")]
        for path, body in cases:
            for chunked in (False, True):
                with self.subTest(path=path, body=body, chunked=chunked):
                    marker = hostile_upstream.random_marker()
                    body_m = body + f"&m={marker}"
                    conn = self.open("auth.docker.io")
                    if chunked:
                        conn.send((f"POST {path} HTTP/1.1\r\nHost: auth.docker.io\r\n"
                                   f"Content-Type: {form}\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   f"{len(body_m):x}\r\n{body_m}\r\n0\r\n\r\n").encode())
                    else:
                        conn.send(raw.request_bytes("POST", path, "auth.docker.io",
                                                    [f"Content-Type: {form}"], body_m))
                    record = self.assert_denied_for(conn, conn.response(), marker)
                    self.assertEqual(record["kind"], "token")

    def test_token_requests_by_other_methods_are_refused(self):
        for method in ("PUT", "PATCH", "DELETE"):
            with self.subTest(method=method):
                marker = hostile_upstream.random_marker()
                conn, response = self.send(method, f"/token?m={marker}", host="auth.docker.io",
                                           body=f"scope=repository:{D}:pull".encode())
                self.assert_refused(response, 400, conn, rule="request.invalid")
                self.assert_not_forwarded(marker)

    def test_the_catalog_of_an_unlisted_registry_is_denied(self):
        marker = hostile_upstream.random_marker()
        conn, response = self.send("GET", f"/v2/_catalog?n=100&m={marker}", host="other.test")
        self.assert_refused(response, 403, conn, rule="registries")
        self.assert_not_forwarded(marker)

    def test_the_catalog_of_a_listed_registry_is_decided_and_logged(self):
        conn, response = self.send("GET", "/v2/_catalog?n=10")
        record = self.lab.wait_records(conn)[-1]
        self.assertEqual((record["kind"], record["action"], record["status"]),
                         ("catalog", "pull", response.status))
        conn, response = self.send("POST", "/v2/_catalog")
        self.assert_refused(response, 400, conn, rule="request.invalid")


if __name__ == "__main__":
    testing.main()
