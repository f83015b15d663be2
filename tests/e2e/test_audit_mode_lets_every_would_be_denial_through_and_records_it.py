#!/usr/bin/env python3
"""`policy.mode: audit` (SPEC "Configuration", issue 3 "Deciding"): the
same world and policy as the enforce-mode files, and every pull that
enforce mode refuses (a community image on Docker Hub, ghcr.io/other by
rule, the unlisted registry) now succeeds with docker, ctr, podman and
skopeo; so do pushes to the unlisted registry. Each command's records
are exactly those of an allowed pull, except that the would-be denials
say `decision: deny, enforced: false` with the rule that would have
denied them, and nothing at all is enforced.

As in the registry file, a GET /v2/ to ghcr.io first teaches pullgate its
token realm (containerd never sends one).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, hub_world, pull_audit, real_clients, testing  # noqa: E402

WOULD_BE_DENIED = ("community", "ghcr_denied", "unlisted")


class AuditModeLetsEveryWouldBeDenialThrough(real_clients.RealClientsTestCase):
    MODE = "audit"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        primed = clients.curl(f"https://{hub_world.GHCR}/v2/", workdir=cls.shared_tmp,
                              proxy=cls.pullgate.proxy_url, cacert=cls.pullgate.ca_cert)
        if primed.status != 401:
            raise AssertionError(f"GET https://ghcr.io/v2/ through pullgate: {primed}")

    def pulls(self, client):
        for name in WOULD_BE_DENIED:
            with self.subTest(image=name):
                run = self.assert_pull_allowed(client, name)
                rule = hub_world.DECISIONS[name][1]
                would_be = [r for r in run.records if r["decision"] == "deny"]
                self.assertTrue(would_be, run.describe())
                self.assertEqual({(r["rule"], r["enforced"]) for r in would_be},
                                 {(rule, False)}, run.describe())
                self.assertTrue(all(200 <= r["status"] < 300 or r["status"] == 401
                                    for r in would_be), run.describe())
        with self.subTest(image="official (allowed anyway)"):
            run = self.assert_pull_allowed(client, "official",
                                           all_platforms=client in ("ctr", "skopeo"))
            self.assertEqual({(r["decision"], r["enforced"]) for r in run.records},
                             {("allow", True)}, run.describe())

    def test_docker_pulls_everything_and_the_would_be_denials_are_recorded(self):
        self.pulls("docker")

    def test_ctr_pulls_everything_and_the_would_be_denials_are_recorded(self):
        self.pulls("ctr")

    def test_podman_pulls_everything_and_the_would_be_denials_are_recorded(self):
        self.pulls("podman")

    def test_skopeo_copies_everything_and_the_would_be_denials_are_recorded(self):
        self.pulls("skopeo")

    def test_pushes_to_the_unlisted_registry_go_through_and_are_recorded(self):
        source = self.world.reference("organization")
        self.assertEqual(self.pull("docker", "organization").rc, 0)
        destinations = {
            "docker": f"{hub_world.UNLISTED}/acme/docker-audited:1",
            "skopeo": f"{hub_world.UNLISTED}/acme/skopeo-audited:1",
        }
        self.assertEqual(self.docker.tag(source, destinations["docker"])[0], 0)
        runs = [
            self.command("docker", destinations["docker"],
                         lambda: self.docker.push(destinations["docker"])),
            self.command("skopeo", destinations["skopeo"], lambda: self.podman.skopeo(
                "copy", "--retry-times", "0", "--dest-cert-dir", self.podman.cert_dir,
                self.world.layouts["organization"].reference,
                f"docker://{destinations['skopeo']}")),
        ]
        for run in runs:
            with self.subTest(client=run.client):
                self.assertEqual(run.rc, 0, run.describe())
                self.assertNotIn("pullgate:", run.output)
                self.assertEqual({(r["decision"], r["enforced"], r["rule"]) for r in run.records},
                                 {("deny", False, "registries")}, run.describe())
                self.assertIn(("PUT", "manifest", "push", 201),
                              {(r["method"], r["kind"], r["action"], r["status"])
                               for r in run.records}, run.describe())
                repository = run.reference.split("/", 1)[1].rsplit(":", 1)[0]
                link = os.path.join(self.world.unlisted.workdir, "data", "docker", "registry",
                                    "v2", "repositories", repository, "_manifests", "tags", "1")
                self.assertTrue(os.path.isdir(link), f"{run.reference} arrived")

    def test_nothing_is_ever_enforced_in_audit_mode(self):
        records = [r for r in self.pullgate.audit_records() if not pull_audit.ignorable(r)]
        self.assertTrue(records)
        enforced_denials = [r for r in records if r["decision"] == "deny" and r["enforced"]]
        self.assertEqual(enforced_denials, [])
        self.assertFalse([r for r in records if r["status"] == 403], "no 403 in audit mode")


if __name__ == "__main__":
    testing.main()
