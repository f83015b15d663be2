#!/usr/bin/env python3
"""HTTP/1.1 through pullgate's intercepted TLS: a kept-alive connection
carries many requests, each decided and logged on its own (an allowed one
can be followed by a denied one); a HEAD answer has headers and no body;
chunked request bodies (PATCH uploads) and skopeo's pushes go through
(SPEC "What is checked", issue 2 "Relay")."""

import hashlib
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, proxy, testing, world  # noqa: E402

HUB = world.HUB
ACCEPT = "Accept: " + image.MANIFEST
COMMUNITY = "/v2/randomuser/tool/manifests/1"


class OneConnectionCarriesManyRequests(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("curl", "skopeo", "docker-registry", "openssl")
        cls.world = world.World(cls.shared_tmp)
        cls.addClassCleanup(cls.world.stop)
        cls.alpine = image.make_image(os.path.join(cls.shared_tmp, "alpine"), tag="3.19",
                                      layer_size=100_000)
        image.push_direct(cls.alpine, cls.world.hub, "library/alpine",
                          cert_dir=cls.world.public_cert_dir, workdir=cls.shared_tmp)
        cls.config_digest, cls.layer_digest = (
            [d for d in cls.alpine.blobs if d not in (cls.alpine.digest, *cls.alpine.layers)][0],
            cls.alpine.layers[0])

    def setUp(self):
        super().setUp()
        self.pullgate = self.stop_later(self.world.start_pullgate(self.tmp))

    def url(self, path):
        return f"https://{HUB}{path}"

    def curl(self, urls, **kwargs):
        return clients.curl(urls, workdir=os.path.join(self.tmp, "curl"),
                            proxy=self.pullgate.proxy_url, cacert=self.pullgate.ca_cert, **kwargs)

    def tunnel(self):
        t = clients.Tunnel(*self.pullgate.listen, HUB, 443, cafile=self.pullgate.ca_cert)
        self.addCleanup(t.close)
        return t

    def records_for(self, count, what):
        return self.pullgate.wait_for_audit(lambda r: r.get("kind") != "connect", what=what,
                                            count=count)

    def test_curl_sends_four_requests_on_one_connection_and_each_gets_its_own_record(self):
        paths = ["/v2/", "/v2/library/alpine/manifests/3.19",
                 f"/v2/library/alpine/blobs/{self.config_digest}",
                 f"/v2/library/alpine/blobs/{self.layer_digest}"]
        result = self.curl([self.url(p) for p in paths], headers=[ACCEPT])
        self.assertEqual(result.exit_code, 0, result)
        self.assertEqual([t["http_code"] for t in result.transfers], [200] * 4, result)
        self.assertEqual([t["num_connects"] for t in result.transfers], [1, 0, 0, 0],
                         "curl reused the first connection")
        records = self.records_for(4, "four request records")
        self.assertEqual([r["kind"] for r in records], ["ping", "manifest", "blob", "blob"])
        self.assertEqual(len({r["client"] for r in records}), 1, "one client connection")
        self.assertEqual([r["bytes"] for r in records[2:]],
                         [self.alpine.blobs[self.config_digest],
                          self.alpine.blobs[self.layer_digest]])
        for r in records:
            self.assertEqual(proxy.audit_shape_problems(r), [])

    def test_an_allowed_request_can_be_followed_by_a_denied_one_on_the_same_connection(self):
        t = self.tunnel()
        allowed = t.request("GET", "/v2/library/alpine/manifests/3.19",
                            {"Accept": image.MANIFEST})
        self.assertEqual(allowed.status, 200)
        denied = t.request("GET", COMMUNITY)
        self.assertEqual(denied.status, 403, denied)
        message = json.loads(denied.body)["errors"][0]["message"]
        self.assertEqual(denied.reason, message)
        self.assertIn("docker.io/randomuser/tool", message)
        self.assertIn("(rule: docker_hub.community)", message)
        records = self.records_for(2, "two request records")
        self.assertEqual([(r["decision"], r["rule"]) for r in records],
                         [("allow", "docker_hub.official"), ("deny", "docker_hub.community")])
        self.assertEqual(records[0]["client"], records[1]["client"])

    def test_a_denied_request_leaves_the_connection_usable(self):
        t = self.tunnel()
        self.assertEqual(t.request("GET", COMMUNITY).status, 403)
        self.assertEqual(t.request("GET", "/v2/").status, 200)

    def test_head_of_a_manifest_returns_its_headers_and_no_body(self):
        t = self.tunnel()
        head = t.request("HEAD", "/v2/library/alpine/manifests/3.19", {"Accept": image.MANIFEST})
        self.assertEqual(head.status, 200)
        self.assertEqual(int(head.headers["content-length"]), self.alpine.blobs[self.alpine.digest])
        self.assertEqual(head.headers["docker-content-digest"], self.alpine.digest)
        # Had pullgate sent a body after the HEAD's headers, this GET's
        # answer would start with those bytes instead of a status line.
        get = t.request("GET", "/v2/library/alpine/manifests/3.19", {"Accept": image.MANIFEST})
        self.assertEqual(get.status, 200)
        self.assertEqual("sha256:" + hashlib.sha256(get.body).hexdigest(), self.alpine.digest)
        records = self.records_for(2, "HEAD and GET records")
        self.assertEqual([(r["method"], r["bytes"]) for r in records],
                         [("HEAD", 0), ("GET", len(get.body))])

    def test_curl_head_of_a_manifest_shows_the_headers(self):
        # curl -I never reads a body; the framing is checked on the raw
        # tunnel above. This is what an operator sees.
        result = self.curl(self.url("/v2/library/alpine/manifests/3.19"), head=True,
                           headers=[ACCEPT])
        self.assertEqual((result.exit_code, result.status), (0, 200), result)
        self.assertEqual(result.header("Docker-Content-Digest"), self.alpine.digest)
        self.assertEqual(int(result.header("Content-Length")),
                         self.alpine.blobs[self.alpine.digest])

    def test_a_denied_head_has_the_reason_phrase_and_no_body(self):
        t = self.tunnel()
        head = t.request("HEAD", COMMUNITY)
        self.assertEqual(head.status, 403)
        self.assertTrue(head.reason.startswith("pullgate: "), head.reason)
        self.assertIn("randomuser/tool", head.reason)
        self.assertEqual(t.request("GET", "/v2/").status, 200,
                         "the denied HEAD's answer had a body, or the connection was closed")

    def test_a_chunked_patch_upload_goes_through_and_the_blob_comes_back(self):
        data = os.urandom(300_000)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        payload = os.path.join(self.tmp, "chunk.bin")
        with open(payload, "wb") as f:
            f.write(data)
        start = self.curl(self.url("/v2/library/uploaded/blobs/uploads/"), method="POST",
                          headers=["Content-Length: 0"])
        self.assertEqual(start.status, 202, start)
        location = start.header("Location")
        self.assertTrue(location.startswith(f"https://{HUB}/v2/library/uploaded/blobs/uploads/"),
                        location)
        patch = self.curl(location, method="PATCH", data_file=payload, extra=["-v"],
                          headers=["Transfer-Encoding: chunked",
                                   "Content-Type: application/octet-stream"])
        self.assertIn("> Transfer-Encoding: chunked", patch.stderr, "curl sent a chunked body")
        self.assertEqual(patch.status, 202, patch)
        self.assertEqual(patch.header("Range"), f"0-{len(data) - 1}")
        location = patch.header("Location")
        separator = "&" if urllib.parse.urlsplit(location).query else "?"
        put = self.curl(f"{location}{separator}digest={digest}", method="PUT",
                        headers=["Content-Length: 0"])
        self.assertEqual(put.status, 201, put)
        self.assertEqual(put.header("Docker-Content-Digest"), digest)
        get = self.curl(self.url(f"/v2/library/uploaded/blobs/{digest}"))
        self.assertEqual(get.body, data)
        uploads = self.pullgate.wait_for_audit(lambda r: r.get("kind") == "upload",
                                               what="upload records", count=3)
        self.assertEqual([(r["method"], r["action"]) for r in uploads],
                         [("POST", "push"), ("PATCH", "push"), ("PUT", "push")])

    def test_skopeo_pushes_an_image_through_pullgate(self):
        layout = image.make_image(os.path.join(self.tmp, "pushed"), tag="1", layer_size=500_000)
        image.push_through(layout, self.pullgate, "docker://docker.io/library/pushed:1",
                           workdir=self.tmp)
        raw = image.skopeo_inspect_raw(f"docker://{self.world.hub.endpoint}/library/pushed:1",
                                       workdir=self.tmp, cert_dir=self.world.public_cert_dir)
        self.assertEqual("sha256:" + hashlib.sha256(raw).hexdigest(), layout.digest,
                         "the registry holds exactly the manifest pushed through pullgate")
        put = self.pullgate.wait_for_audit(
            lambda r: r.get("kind") == "manifest" and r.get("method") == "PUT",
            what="the manifest PUT record")[-1]
        self.assertEqual((put["action"], put["decision"], put["status"], put["image"]),
                         ("push", "allow", 201, "docker.io/library/pushed:1"))


if __name__ == "__main__":
    testing.main()
