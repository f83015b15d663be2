#!/usr/bin/env python3
"""SIGHUP applies a new policy to the next request without touching
transfers in flight (issue 3 "Reload"): while a 64 MiB blob of an
organization repository streams through pullgate (curl, rate-limited so
that it is surely in flight), a rule that freezes the organization's
images is added and pullgate is sent SIGHUP. The download completes with
the right sha256 and its record keeps the decision it started with; from
then on the organization's token requests, blob requests made with a
token issued before, and docker pulls are refused by the new rule, with
its reason shown. Reloading the old policy lets docker pull again, and a
reload can open what was closed too (a community image for podman).
"""

import copy
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, hub_world, image, net, procs, pull_audit, real_clients  # noqa: E402
from harness import testing  # noqa: E402

BIG = 64 * 1024 * 1024 + 12345
RATE = "16M"  # bytes a second: about four seconds in flight
FROZEN_RULE = {"image": "docker.io/acme/*", "name": "acme-frozen", "action": "deny",
               "reason": "acme images are frozen during the incident"}


class APolicyReloadFlipsADecision(real_clients.RealClientsTestCase):
    WORLD_OPTIONS = {"ghcr": False, "unlisted": False, "plain": False}

    @classmethod
    def setUpClass(cls):
        shared_big = procs.temp_dir(prefix="pullgate-e2e-big-")
        cls.big = os.path.join(shared_big, "big.bin")
        cls.big_digest = image.random_file(cls.big, BIG)
        cls.WORLD_OPTIONS = dict(cls.WORLD_OPTIONS, extra_blobs=[("hub", "acme/big", cls.big)])
        try:
            super().setUpClass()
        finally:
            procs.remove_temp_dir(shared_big)
        cls.original = copy.deepcopy(cls.pullgate.config)

    def reload(self, policy_change):
        config = copy.deepcopy(self.original)
        policy_change(config["policy"])
        reloads = self.pullgate.log().count("configuration reloaded")
        self.pullgate.reload(config)
        self.pullgate.wait_for_log("configuration reloaded", occurrence=reloads + 1)

    def restore(self):
        """The file's own policy, written and reloaded (also after a test
        left a broken file behind)."""
        reloads = self.pullgate.log().count("configuration reloaded")
        self.pullgate.reload(copy.deepcopy(self.original))
        self.pullgate.wait_for_log("configuration reloaded", occurrence=reloads + 1)

    def curl(self, url, **kwargs):
        return clients.curl(url, workdir=os.path.join(self.tmp, "curl"),
                            proxy=self.pullgate.proxy_url, cacert=self.pullgate.ca_cert, **kwargs)

    def token(self, repository):
        return self.curl(f"https://{hub_world.HUB_AUTH}/token?service={hub_world.HUB_SERVICE}"
                         f"&scope=repository:{repository}:pull")

    def test_sighup_freezes_a_namespace_while_its_64_mib_blob_download_completes(self):
        self.addCleanup(self.restore)
        granted = self.token("acme/big")
        self.assertEqual(granted.status, 200, granted)
        bearer = "Authorization: Bearer " + json.loads(granted.body)["token"]
        blob_url = f"https://{hub_world.HUB}/v2/acme/big/blobs/{self.big_digest}"
        received = os.path.join(self.tmp, "received.bin")
        tail = pull_audit.AuditTail(self.pullgate)  # the whole test (self.pull marks its own)
        tail.mark()
        download = self.stop_later(procs.Process(
            ["curl", "-sS", "--fail", "--max-time", "90", "--limit-rate", RATE,
             "--proxy", self.pullgate.proxy_url, "--cacert", self.pullgate.ca_cert,
             "-H", bearer, "-o", received, blob_url], name="download", log_dir=self.tmp))
        net.wait_until(lambda: os.path.exists(received) and os.path.getsize(received) > 8 << 20,
                       30, "8 MiB of the download", process=download)

        self.reload(lambda policy: policy["rules"].insert(0, FROZEN_RULE))
        self.assertTrue(download.running(), "the download is still in flight after the reload")

        message = ("pullgate: docker.io/acme/big is denied: acme images are frozen during the "
                   "incident (rule: acme-frozen)")
        refused_token = self.token("acme/big")
        self.assertEqual(refused_token.status, 403, refused_token)
        self.assertEqual(json.loads(refused_token.body)["errors"][0]["message"], message)
        refused_blob = self.curl(blob_url, headers=[bearer], head=True)
        self.assertEqual(refused_blob.status, 403, "a token issued before the reload opens "
                                                   f"nothing: every request is decided\n"
                                                   f"{refused_blob}")
        self.assertEqual(refused_blob.status_lines()[-1], "HTTP/1.1 403 " + message)
        run = self.pull("docker", "organization")
        self.assertNotEqual(run.rc, 0, run.describe())
        self.assertIn("denied: pullgate: docker.io/acme/app is denied: acme images are frozen "
                      "during the incident (rule: acme-frozen)", run.output)
        real_clients.DENY_TEXTS[(type(self).__name__, "docker", "pull after reload")] = next(
            line.strip() for line in run.output.splitlines() if "pullgate:" in line)

        self.assertEqual(download.wait(90), 0, download.log_tail())
        self.assertEqual(os.path.getsize(received), BIG)
        self.assertEqual("sha256:" + image.sha256_file(received), self.big_digest)

        records = tail.take()
        big = [r for r in records if r["kind"] == "blob" and r["method"] == "GET"]
        self.assertEqual([(r["status"], r["bytes"], r["decision"], r["rule"]) for r in big],
                         [(200, BIG, "allow", "docker_hub.organizations")],
                         "the transfer in flight keeps the decision it started with\n"
                         + pull_audit.summary(records))
        after = [r for r in records if r["decision"] == "deny"]
        self.assertEqual({(r["rule"], r["status"], r["enforced"]) for r in after},
                         {("acme-frozen", 403, True)}, pull_audit.summary(records))
        self.assertEqual({r["kind"] for r in after}, {"token", "blob"},
                         pull_audit.summary(records))
        self.assertTrue(all(r["time"] >= big[0]["time"] for r in after))
        self.assertIn(("docker.io/acme/big", 200), {(r["image"], r["status"]) for r in big})

        self.restore()
        run = self.assert_pull_allowed("docker", "organization")
        self.assertEqual({r["rule"] for r in run.records if r["kind"] != "ping"},
                         {"docker_hub.organizations"})

    def test_sighup_can_open_what_was_closed(self):
        self.addCleanup(self.restore)
        self.assert_pull_denied("podman", "community")
        self.reload(lambda policy: policy["docker_hub"].update(community=True))
        run = self.pull("podman", "community")
        self.assertEqual(run.rc, 0, run.describe())
        self.assertEqual({(r["decision"], r["rule"]) for r in run.records if r["kind"] != "ping"},
                         {("allow", "docker_hub.community")}, run.describe())
        self.restore()
        self.podman.rmi(self.world.reference("community"))
        self.assert_pull_denied("podman", "community")

    def test_an_invalid_policy_is_rejected_and_the_running_one_stays(self):
        self.addCleanup(self.restore)
        broken = copy.deepcopy(self.original)
        broken["policy"]["docker_hub"]["comunity"] = True   # a typo: the whole file is refused
        rejected = self.pullgate.log().count("rejected")
        self.pullgate.reload(broken)
        self.pullgate.wait_for_log("rejected", occurrence=rejected + 1)
        self.assert_pull_denied("skopeo", "community")
        self.assertTrue(self.pullgate.process.running())
        self.pullgate.send_signal(signal.SIGHUP)  # the file is still broken: still refused
        self.pullgate.wait_for_log("rejected", occurrence=rejected + 2)


if __name__ == "__main__":
    testing.main()
