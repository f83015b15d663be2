#!/usr/bin/env python3
"""skopeo pulls docker.io/library/alpine through pullgate, over intercepted
TLS, from a real registry answering under Docker Hub's name: the digests it
stores are the ones that were pushed, and every manifest and blob request
leaves an audit record with the SPEC's fields (issue 2)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import image, proxy, testing, world  # noqa: E402


class SkopeoPullsAnOfficialImageThroughPullgate(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("skopeo", "docker-registry", "openssl")
        tmp = cls.shared_tmp
        cls.world = world.World(tmp)
        cls.addClassCleanup(cls.world.stop)
        # What `docker pull alpine` fetches: a two-platform index.
        cls.multiarch = image.make_multiarch_image(os.path.join(tmp, "alpine-3.19"), tag="3.19")
        cls.multiarch_pushed = image.push_direct(cls.multiarch, cls.world.hub, "library/alpine",
                                                 cert_dir=cls.world.public_cert_dir, workdir=tmp)
        cls.single = image.make_image(os.path.join(tmp, "alpine-edge"), tag="edge",
                                      layer_size=200_000)
        cls.single_pushed = image.push_direct(cls.single, cls.world.hub, "library/alpine",
                                              cert_dir=cls.world.public_cert_dir, workdir=tmp)

    def start_pullgate(self):
        return self.stop_later(self.world.start_pullgate(self.tmp))

    def pull(self, pullgate, source, tag, all_images):
        out = os.path.join(self.tmp, f"pulled-{tag}")
        image.skopeo_copy(source, f"oci:{out}:{tag}", workdir=self.tmp,
                          proxy_url=pullgate.proxy_url, src_cert_dir=pullgate.cert_dir(),
                          all_images=all_images)
        return out

    def test_the_pushed_digest_is_what_the_direct_push_reported(self):
        # Guards the comparisons below: the fixture pushed what it built.
        self.assertEqual(self.multiarch_pushed, self.multiarch.digest)
        self.assertEqual(self.single_pushed, self.single.digest)

    def test_a_multi_architecture_index_is_copied_with_identical_digests(self):
        pullgate = self.start_pullgate()
        out = self.pull(pullgate, "docker://docker.io/library/alpine:3.19", "3.19", True)
        media_type, digest = image.read_layout_top(out)
        self.assertEqual(media_type, image.INDEX)
        self.assertEqual(digest, self.multiarch.digest)
        image.verify_layout_blobs(out)
        stored = {"sha256:" + n for n in os.listdir(os.path.join(out, "blobs", "sha256"))}
        self.assertEqual(stored, set(self.multiarch.blobs),
                         "the pulled layout must hold exactly the pushed blobs")

    def test_a_single_platform_image_is_copied_by_tag_and_by_digest(self):
        pullgate = self.start_pullgate()
        by_tag = self.pull(pullgate, "docker://docker.io/library/alpine:edge", "edge", False)
        self.assertEqual(image.read_layout_top(by_tag), (image.MANIFEST, self.single.digest))
        by_digest = self.pull(pullgate, f"docker://docker.io/library/alpine@{self.single.digest}",
                              "by-digest", False)
        self.assertEqual(image.read_layout_top(by_digest)[1], self.single.digest)
        image.verify_layout_blobs(by_digest)

    def test_every_manifest_and_blob_request_leaves_an_audit_record_with_the_spec_fields(self):
        pullgate = self.start_pullgate()
        self.pull(pullgate, "docker://docker.io/library/alpine:3.19", "3.19", True)
        # Index by tag, then each platform's manifest by digest, then each
        # config and layer blob.
        expected_manifests = {"3.19", *self.multiarch.manifests}
        expected_blobs = set(self.multiarch.blobs) - {self.multiarch.digest,
                                                      *self.multiarch.manifests}
        records = pullgate.wait_for_audit(
            lambda r: r.get("kind") in ("manifest", "blob"),
            what="manifest and blob records", count=len(expected_manifests) + len(expected_blobs))
        for r in records:
            with self.subTest(record=r):
                self.assertEqual(proxy.audit_shape_problems(r), [])
                self.assertEqual(r["method"], "GET")
                self.assertEqual(r["host"], world.HUB)
                self.assertEqual(r["registry"], "docker.io")
                self.assertEqual(r["action"], "pull")
                self.assertEqual(r["repository"], "library/alpine")
                self.assertEqual(r["category"], "official")
                self.assertEqual(r["decision"], "allow")
                self.assertIs(r["enforced"], True)
                self.assertEqual(r["status"], 200)
                self.assertTrue(r["client"].startswith("127."))
        manifests = {r["reference"] for r in records if r["kind"] == "manifest"}
        blobs = [r for r in records if r["kind"] == "blob"]
        self.assertEqual(manifests, expected_manifests)
        self.assertEqual({r["reference"] for r in blobs}, expected_blobs)
        for r in blobs:
            self.assertEqual(r["bytes"], self.multiarch.blobs[r["reference"]],
                             "bytes counts the body sent to the client")
        by_tag = next(r for r in records if r["reference"] == "3.19")
        self.assertEqual(by_tag["image"], "docker.io/library/alpine:3.19")


if __name__ == "__main__":
    testing.main()
