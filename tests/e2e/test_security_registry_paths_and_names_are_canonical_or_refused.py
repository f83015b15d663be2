#!/usr/bin/env python3
"""Paths and names: a registry path or repository name that is not
canonical is refused with 400 (rule request.invalid) and never forwarded,
never guessed at: percent-encoding (including %2F and %2e), dot segments,
empty segments, upper case, path parameters, backslashes, NUL, overlong
UTF-8, fragments; names over 255 characters and tags over 128. A query
string that looks like a path does not change what the path reaches. The
same holds for the token endpoint's path: a spelling of /token that a
lenient server would still route is decided as a token request or
refused, never passed as "some other page" (SPEC "What is checked",
issue 4)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hostile_upstream, lab, raw, testing  # noqa: E402

HUB = lab.HUB
D = lab.DENIED

NON_CANONICAL = [
    "/v2/randomuser%2ftool/manifests/{m}", "/v2/randomuser%2Ftool/manifests/{m}",
    "/v2/randomuser/tool%2fmanifests%2f{m}", "/v2/%72andomuser/tool/manifests/{m}",
    "/v2/library/%2e%2e/randomuser/tool/manifests/{m}", "/v2/library/%2E%2E/randomuser/tool/manifests/{m}",
    "/v2/library/.%2e/randomuser/tool/manifests/{m}", "/v2/library/alpine/%2e/manifests/{m}",
    "/v2/library/alpine/../../randomuser/tool/manifests/{m}",
    "/v2/library/alpine/manifests/1/../../../../randomuser/tool/manifests/{m}",
    "/v2/./randomuser/tool/manifests/{m}", "/./v2/randomuser/tool/manifests/{m}",
    "/x/../v2/randomuser/tool/manifests/{m}", "/v2/randomuser/tool/manifests/{m}/.",
    "/v2//randomuser/tool/manifests/{m}", "//v2/randomuser/tool/manifests/{m}",
    "/v2/randomuser//tool/manifests/{m}", "/v2/randomuser/tool//manifests/{m}",
    "/v2/randomuser/tool/manifests//{m}", "/v2/randomuser/tool/manifests/{m}/",
    "/V2/randomuser/tool/manifests/{m}", "/v2/Randomuser/tool/manifests/{m}",
    "/v2/randomuser/Tool/manifests/{m}", "/v2/randomuser/tool/Manifests/{m}",
    "/v2/randomuser/tool/manifests/{m};x=1", "/v2/randomuser/tool;x=1/manifests/{m}",
    "/v2;x/randomuser/tool/manifests/{m}", "/v2/randomuser\\tool/manifests/{m}",
    "/v2\\randomuser/tool/manifests/{m}", "/%76%32/randomuser/tool/manifests/{m}",
    "/%2576%2532/randomuser/tool/manifests/{m}", "/v2/randomuser/tool%00/manifests/{m}",
    "/v2/randomuser/tool/manifests/{m}%00", "/v2/randomuser%c0%aftool/manifests/{m}",
    "/v2/randomuser/tool/manifests/{m}#x", "/v2/randomuser/tool/manifests/{m}%23x",
    "/v2/randomuser/tool/manifests/{m}%3Fx", "/v2/randomuser/tool/manifests/%20{m}",
    "/v2/randomuser/tool/manifests/{m}%",
    "/v2/randomuser/tool/manifests/sha256:{m}", "/v2/randomuser/tool/blobs/{m}",
    "/v2/randomuser/tool/manifests/" + "t" * 129 + "{m}",
    "/v2/tool/manifests/{m}", "/v2/-randomuser/tool/manifests/{m}",
    "/v2/randomuser/tool_/manifests/{m}", "/v2/randomuser/tool..x/manifests/{m}",
    "/v2/library/" + "a" * 248 + "/manifests/{m}",
]


class RegistryPathsAndNamesAreCanonicalOrRefused(lab.LabTestCase):

    def get(self, path, host=HUB, method="GET", plain=False):
        conn = self.open() if plain else self.open(host)
        target = f"http://{host}{path}" if plain else path
        conn.send(raw.request_bytes(method, target, host))
        return conn, conn.response(head=method == "HEAD")

    def test_non_canonical_registry_paths_are_refused_and_never_forwarded(self):
        for template in NON_CANONICAL:
            for plain in (False, True):
                with self.subTest(path=template[:120], plain_http=plain):
                    marker = hostile_upstream.random_marker()
                    path = template.replace("{m}", marker)
                    conn, response = self.get(path, plain=plain)
                    self.assert_refused(response, 400, conn, rule="request.invalid")
                    self.assert_not_forwarded(marker)

    def test_a_name_of_255_characters_is_decided_and_one_of_256_refused(self):
        name_255 = "library/" + "a" * 247
        self.assertEqual(len(name_255), 255)
        conn, response = self.get(lab.manifest_path(name_255, "1"))
        self.assertEqual(response.status, 200)
        self.assertEqual(self.lab.wait_records(conn)[-1]["repository"], name_255)
        community_255 = "x" * 120 + "/" + "y" * 134
        conn, response = self.get(lab.manifest_path(community_255, "1"))
        self.assert_refused(response, 403, conn, rule="docker_hub.community")
        for name in ("library/" + "a" * 248, "x" * 120 + "/" + "y" * 135):
            with self.subTest(length=len(name)):
                marker = hostile_upstream.random_marker()
                conn, response = self.get(lab.manifest_path(name, marker))
                self.assert_refused(response, 400, conn, rule="request.invalid")
                self.assert_not_forwarded(marker)

    def test_a_tag_of_128_characters_is_decided_and_one_of_129_refused(self):
        conn, response = self.get(lab.manifest_path(lab.ALLOWED, "t" * 128))
        self.assertEqual(response.status, 200)
        conn, response = self.get(lab.manifest_path(lab.ALLOWED, "t" * 129))
        self.assert_refused(response, 400, conn, rule="request.invalid")

    def test_a_query_string_that_looks_like_a_path_does_not_change_what_is_reached(self):
        for plain in (False, True):
            with self.subTest(plain_http=plain):
                upstream = self.lab.plain if plain else self.lab.hub
                tag = hostile_upstream.random_marker()
                path = f"/v2/{lab.ALLOWED}/manifests/{tag}?/../../{D}/manifests/1"
                conn, response = self.get(path, plain=plain)
                self.assertEqual(response.status, 200)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual((record["repository"], record["reference"]), (lab.ALLOWED, tag))
                self.assertEqual([r.target.split("?")[0] for r in upstream.requests_matching(tag)],
                                 [f"/v2/{lab.ALLOWED}/manifests/{tag}"])
                marker = hostile_upstream.random_marker()
                conn, response = self.get(f"/?x=/v2/{D}/manifests/{marker}", plain=plain)
                forwarded = upstream.requests_matching(marker)
                for r in forwarded:
                    self.assertEqual(r.target.split("?")[0], "/", "only / was reached")

    def test_the_token_endpoint_is_decided_under_every_spelling_of_its_path(self):
        # auth.docker.io answers /token; a server that normalises its path
        # would answer these too, so each is a token request for a denied
        # repository (403) or refused as non-canonical (400): never a 200
        # "other page" with a token for randomuser/tool.
        spellings = ["/token", "/token/", "//token", "/./token", "/x/../token", "/Token",
                     "/TOKEN", "/token;x=1", "/%74oken", "/token%2F", "/token%3F",
                     "/token/.", "/token//", "/token\\"]
        for path in spellings:
            with self.subTest(path=path):
                marker = hostile_upstream.random_marker()
                conn, response = self.get(f"{path}?service=registry.docker.io&scope="
                                          f"repository:{D}:pull&m={marker}",
                                          host="auth.docker.io")
                self.assertIn(response.status, (400, 403), response)
                record = self.lab.wait_records(conn)[-1]
                self.assertEqual(record["decision"], "deny", record)
                self.assert_not_forwarded(marker)


if __name__ == "__main__":
    testing.main()
