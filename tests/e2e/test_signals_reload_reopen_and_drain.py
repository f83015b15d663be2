#!/usr/bin/env python3
"""pullgate's signals (SPEC "Command line"): SIGHUP reloads the configuration
atomically and the next request is decided by the new one, while an invalid
file is rejected and the old configuration stays; SIGUSR1 reopens a renamed
audit log; SIGTERM (and SIGINT) stop accepting, let an in-flight download
finish intact, and exit 0."""

import copy
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import clients, image, net, procs, testing, world  # noqa: E402

GHCR_MANIFEST = "https://ghcr.io/v2/acme/app/manifests/1"
HUB_MANIFEST = f"https://{world.HUB}/v2/library/alpine/manifests/3.19"
BIG = 48 * 1024 * 1024


class Signals(testing.SharedWorldTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testing.require_tools("curl", "skopeo", "docker-registry", "openssl")
        tmp = cls.shared_tmp
        cls.world = world.World(tmp, extra_names=["ghcr.io"])
        cls.addClassCleanup(cls.world.stop)
        for name, repository in (("alpine", "library/alpine"), ("app", "acme/app")):
            layout = image.make_image(os.path.join(tmp, name),
                                      tag="3.19" if name == "alpine" else "1")
            image.push_direct(layout, cls.world.hub, repository,
                              cert_dir=cls.world.public_cert_dir, workdir=tmp)
        big = os.path.join(tmp, "big.bin")
        cls.big_digest = image.random_file(big, BIG)
        cls.world.hub.upload_blob("library/big", big, cls.big_digest)
        os.remove(big)

    def start(self, registries=("docker.io", "ghcr.io")):
        config = self.world.pullgate_config(self.tmp, policy={"registries": list(registries)})
        return self.stop_later(self.world.start_pullgate(self.tmp, **config))

    def get(self, pullgate, url):
        return clients.curl(url, workdir=os.path.join(self.tmp, "curl"),
                            proxy=pullgate.proxy_url, cacert=pullgate.ca_cert,
                            headers=["Accept: " + image.MANIFEST])

    def test_sighup_with_a_registry_removed_denies_its_next_request(self):
        pullgate = self.start()
        self.assertEqual(self.get(pullgate, GHCR_MANIFEST).status, 200)
        config = copy.deepcopy(pullgate.config)
        config["policy"]["registries"] = ["docker.io"]
        pullgate.reload(config)
        pullgate.wait_for_log("configuration reloaded")
        denied = self.get(pullgate, GHCR_MANIFEST)
        self.assertEqual(denied.status, 403, denied)
        self.assertIn("(rule: registries)", denied.status_lines()[-1])
        self.assertEqual(self.get(pullgate, HUB_MANIFEST).status, 200, "docker.io stays allowed")
        record = pullgate.wait_for_audit(
            lambda r: r.get("host") == "ghcr.io" and r.get("decision") == "deny",
            what="the denied ghcr.io record")[-1]
        self.assertEqual((record["rule"], record["status"]), ("registries", 403))

    def test_sighup_with_an_invalid_configuration_keeps_the_running_one(self):
        pullgate = self.start()
        # Valid YAML, and it drops ghcr.io, but one unknown key makes the
        # whole file invalid: nothing of it may take effect.
        address, port = pullgate.listen
        pullgate.write_raw_config(
            f'listen: "{address}:{port}"\n'
            f'audit_log: {pullgate.audit_path}\n'
            'policy:\n'
            '  registries: [docker.io]\n'
            '  registires: [ghcr.io]\n')
        pullgate.send_signal(signal.SIGHUP)
        pullgate.wait_for_log("rejected")
        self.assertIn(f"{pullgate.config_path}:5:3:", pullgate.log(),
                      "the rejection says where the error is")
        self.assertTrue(pullgate.process.running())
        self.assertEqual(pullgate.admin_get("/readyz")[0], 200)
        self.assertEqual(self.get(pullgate, GHCR_MANIFEST).status, 200,
                         "the previous configuration (with ghcr.io) is still in force")

    def test_sigusr1_reopens_the_audit_log_after_it_was_renamed(self):
        pullgate = self.start()
        log, rotated = pullgate.audit_path, pullgate.audit_path + ".1"
        self.get(pullgate, HUB_MANIFEST)
        pullgate.wait_for_audit(lambda r: True, what="the first record")
        os.rename(log, rotated)
        self.get(pullgate, HUB_MANIFEST)
        # Until SIGUSR1, records go to the renamed file (the open one).
        net.wait_until(lambda: len(pullgate.audit_records(rotated)) == 2, 10,
                       "the second record in the renamed file", process=pullgate.process)
        pullgate.send_signal(signal.SIGUSR1)
        net.wait_until(lambda: os.path.exists(log), 10, f"{log} to be reopened",
                       process=pullgate.process)
        self.get(pullgate, GHCR_MANIFEST)
        records = pullgate.wait_for_audit(lambda r: True, what="a record in the new file")
        self.assertEqual([r["host"] for r in records], ["ghcr.io"])
        self.assertEqual(len(pullgate.audit_records(rotated)), 2, "nothing more in the old file")

    def test_sigterm_lets_an_in_flight_download_finish_and_exits_0(self):
        pullgate = self.start()
        received = os.path.join(self.tmp, "big.bin")
        # Rate-limited so that the download is surely in flight when the
        # signal arrives (about four seconds).
        download = self.stop_later(procs.Process(
            ["curl", "-sS", "--fail", "--max-time", "60", "--limit-rate", "12M",
             "--proxy", pullgate.proxy_url, "--cacert", pullgate.ca_cert, "-o", received,
             f"https://{world.HUB}/v2/library/big/blobs/{self.big_digest}"],
            name="curl", log_dir=self.tmp))
        net.wait_until(lambda: os.path.exists(received) and os.path.getsize(received) > 4 << 20,
                       20, "the download to be under way", process=download)
        pullgate.send_signal(signal.SIGTERM)
        net.wait_until(lambda: not net.port_is_open(*pullgate.listen), 5,
                       "the listener to stop accepting")
        self.assertTrue(download.running(), "the download was still in flight at SIGTERM")
        self.assertEqual(download.wait(60), 0, download.log_tail())
        self.assertEqual("sha256:" + image.sha256_file(received), self.big_digest)
        self.assertEqual(pullgate.wait(30), 0, "pullgate exits 0 after draining")
        self.assertIn("SIGTERM", pullgate.log())
        blob = [r for r in pullgate.audit_records() if r.get("kind") == "blob"]
        self.assertEqual([(r["status"], r["bytes"]) for r in blob], [(200, BIG)],
                         "the drained download has its audit record")

    def test_sigint_with_nothing_in_flight_exits_0_at_once(self):
        pullgate = self.start()
        pullgate.send_signal(signal.SIGINT)
        self.assertEqual(pullgate.wait(10), 0)


if __name__ == "__main__":
    testing.main()
