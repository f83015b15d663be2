#!/usr/bin/env python3
"""Image Access Management for Docker Hub with the clients organizations
run (issue 3, "End-to-end tests" and "Denying visibly"): docker (dockerd
20.10), ctr (containerd 1.6, the engine of Docker Desktop's default image
store), podman 4.3 and skopeo 1.9 pull through pullgate from a Docker Hub
stand-in with real token authentication. An official image (a
two-platform index: ctr --all-platforms and skopeo --all take both), a
verified publisher's, a sponsored open-source project's and the
organization's own image are pulled; a community image is refused, and
every client shows pullgate's message. Each command leaves exactly the
records that client's requests call for, with the SPEC's fields.

Docker Hub always asks for a token first, so docker, podman and skopeo are
refused at the token request (the token service never sees it); ctr
resolves the tag with a HEAD before it has a token, and is refused there.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import hub_world, image, proxy, pull_audit, real_clients, testing  # noqa: E402

ALLOWED = ("official", "verified_publisher", "sponsored_oss", "organization")


class EveryClientPullsEachAllowedDockerHubCategory(real_clients.RealClientsTestCase):
    WORLD_OPTIONS = {"ghcr": False, "unlisted": False, "plain": False}

    def pulls_every_category(self, client):
        for name in ALLOWED:
            with self.subTest(image=name):
                self.assert_pull_allowed(client, name,
                                         all_platforms=client in ("ctr", "skopeo"))
        with self.subTest(image="community"):
            self.assert_pull_denied(client, "community")

    def test_docker_pulls_each_allowed_category_and_shows_the_refusal_of_a_community_image(self):
        self.pulls_every_category("docker")

    def test_ctr_pulls_each_allowed_category_all_platforms_and_shows_the_refusal(self):
        self.pulls_every_category("ctr")

    def test_podman_pulls_each_allowed_category_and_shows_the_refusal(self):
        self.pulls_every_category("podman")

    def test_skopeo_copies_each_allowed_category_with_all_and_shows_the_refusal(self):
        self.pulls_every_category("skopeo")

    def test_docker_short_names_are_decided_as_docker_expands_them(self):
        # `docker pull bitnami/redis:7` is docker.io/bitnami/redis:7; a
        # short community name is refused just the same.
        self.docker.rmi("docker.io/bitnami/redis:7")
        run = self.pull("docker", "verified_publisher", reference="bitnami/redis:7")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertTrue(run.records)
        self.assertEqual({r["rule"] for r in run.records if r["kind"] != "ping"},
                         {"docker_hub.verified_publishers"}, run.describe())
        run = self.pull("docker", "community", reference="randomuser/tool")
        self.assert_pull_denied("docker", "community", run=run)

    def test_categories_switched_off_are_refused_with_their_own_message(self):
        # A second pullgate on the same Docker Hub, allowing only the
        # organization's own images: each category is refused by its own
        # rule and says so; the organization's image still comes through.
        policy = self.world.policy()
        policy["docker_hub"].update(official=False, verified_publishers=False,
                                    sponsored_oss=False)
        strict = self.stop_later(self.world.start_pullgate(self.tmp, name="strict",
                                                           policy=policy))
        expected = {
            "official": ("docker_hub.official", "is a Docker Official Image; this organization "
                         "does not allow Docker Official Images"),
            "verified_publisher": ("docker_hub.verified_publishers", "is a Verified Publisher "
                                   "image; this organization does not allow Verified Publisher "
                                   "images"),
            "sponsored_oss": ("docker_hub.sponsored_oss", "is a Docker-Sponsored Open Source "
                              "image; this organization does not allow Docker-Sponsored Open "
                              "Source images"),
        }
        tail = pull_audit.AuditTail(strict)
        for name, (rule, why) in expected.items():
            with self.subTest(image=name):
                tail.mark()
                reference = self.world.reference(name)
                out = os.path.join(self.tmp, name)
                result = image.skopeo_copy(f"docker://{reference}", f"oci:{out}:x",
                                           workdir=self.tmp, proxy_url=strict.proxy_url,
                                           src_cert_dir=strict.cert_dir(), check=False)
                repository = reference.rsplit(":", 1)[0]
                text = f"pullgate: {repository} {why} (rule: {rule})"
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(text, result.stderr)
                real_clients.DENY_TEXTS[(type(self).__name__, "skopeo", f"pull {name} (off)")] = \
                    next(line for line in result.stderr.splitlines() if text in line)
                records = tail.take()
                denied = [r for r in records if r["decision"] == "deny"]
                self.assertEqual([(r["kind"], r["status"], r["rule"], r["category"])
                                  for r in denied],
                                 [("token", 401, rule, hub_world.DECISIONS[name][0])],
                                 pull_audit.summary(records))
        out = os.path.join(self.tmp, "organization")
        image.skopeo_copy(f"docker://{self.world.reference('organization')}", f"oci:{out}:x",
                          workdir=self.tmp, proxy_url=strict.proxy_url,
                          src_cert_dir=strict.cert_dir())

    def test_every_record_of_the_file_has_the_spec_fields_and_the_denials_are_greppable(self):
        records = self.pullgate.audit_records()
        self.assertTrue(records)
        for r in records:
            if not pull_audit.ignorable(r):
                self.assertEqual(proxy.audit_shape_problems(r), [], r)
        with open(self.pullgate.audit_path) as f:
            denied_lines = [line for line in f if '"decision":"deny"' in line]
        self.assertEqual(len(denied_lines),
                         sum(1 for r in records if r["decision"] == "deny"),
                         "every denial is found by grep '\"decision\":\"deny\"'")


if __name__ == "__main__":
    testing.main()
